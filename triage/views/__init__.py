"""Blueprints of the officers' app."""

from __future__ import annotations

from flask import Flask

from triage.views import (
    admin_organizations,
    admin_routes,
    admin_units,
    auth,
    dashboard,
    dead_letters,
    files,
    health,
    items,
    queue,
    stats,
    workflow,
)


def register_blueprints(app: Flask) -> None:
    for module in (
        auth,
        queue,
        items,
        files,
        stats,
        dashboard,
        dead_letters,
        health,
        admin_organizations,
        admin_units,
        admin_routes,
        workflow,
    ):
        app.register_blueprint(module.bp)
