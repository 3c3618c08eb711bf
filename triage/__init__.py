"""Tipline triage: the intake worker and the officers' app (internal network only).

``create_app(settings)`` builds the officers' Flask app. It reads the key and rules files but
does not migrate, sleep or connect to anything while it is created.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from tipline import logs
from tipline.settings import Settings
from triage import display, views, web
from triage.sessions import DatabaseSessionInterface

__all__ = ["create_app"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# A message of 5,000 characters, percent-encoded, fits with room to spare.
MAX_REQUEST_BYTES = 96 * 1024

csrf = CSRFProtect()


def create_app(settings: Settings) -> Flask:
    settings.require_triage()
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder="static")
    configure(app, settings)
    init_context(app, settings)
    init_sessions(app, settings)
    csrf.init_app(app)
    web.init_request_handling(app)
    display.init_filters(app)
    views.register_blueprints(app)
    logs.silence_access_logs()
    return app


def configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.triage_secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        # CSRF tokens live in the server-side session, which has its own idle timeout.
        WTF_CSRF_TIME_LIMIT=None,
    )


def init_context(app: Flask, settings: Settings) -> None:
    """Engine, keys, rules, Redis (all lazy: nothing connects before the first request)."""
    app.extensions[web.EXTENSION] = web.build_context(settings)


def init_sessions(app: Flask, settings: Settings) -> None:
    """Server-side sessions; the cookie is Secure (and __Host-) in production."""
    context = app.extensions[web.EXTENSION]
    app.session_interface = DatabaseSessionInterface(
        context.sessions,
        idle_timeout=timedelta(minutes=settings.officer_session_minutes),
        secure=settings.is_production,
        clock=lambda: context.clock(),
    )
