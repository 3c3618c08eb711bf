"""Blueprints of the officers' app."""

from __future__ import annotations

from flask import Flask

from triage.views import (
    admin_organizations,
    admin_routes,
    admin_units,
    alerts,
    audit,
    auth,
    dashboard,
    dead_letters,
    files,
    health,
    items,
    queue,
    related,
    stats,
    workflow,
)


def register_blueprints(app: Flask) -> None:
    for module in (
        auth,
        queue,
        items,
        alerts,
        files,
        stats,
        dashboard,
        audit,
        dead_letters,
        health,
        admin_organizations,
        admin_units,
        admin_routes,
        related,
        workflow,
    ):
        app.register_blueprint(module.bp)
