"""Blueprints of the officers' app."""

from __future__ import annotations

from flask import Flask

from triage.views import auth, dead_letters, files, health, items, queue, stats


def register_blueprints(app: Flask) -> None:
    for module in (auth, queue, items, files, stats, dead_letters, health):
        app.register_blueprint(module.bp)
