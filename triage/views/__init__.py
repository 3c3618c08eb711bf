"""Blueprints of the officers' app."""

from __future__ import annotations

from flask import Flask

from triage.views import auth, dead_letters, health, items, queue


def register_blueprints(app: Flask) -> None:
    for module in (auth, queue, items, dead_letters, health):
        app.register_blueprint(module.bp)
