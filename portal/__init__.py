"""The public reporting portal (the DMZ side of Tipline).

``create_app(settings)`` builds the Flask app. It holds only the unit's *public* keys and its own
database: it starts, and takes reports, with no private key and no triage database anywhere.
Nothing here migrates, sleeps or touches the network at creation.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from portal.context import init_context
from portal.followup_views import bp as followup_bp
from portal.health import bp as health_bp
from portal.pages import init_error_pages
from portal.ratelimit import init_ratelimit
from portal.referral_views import bp as referral_bp
from portal.security import init_security
from portal.views import bp as portal_bp
from tipline import logs
from tipline.settings import Settings

__all__ = ["create_app"]

_PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = _PACKAGE_DIR.parent / "templates"
STATIC_DIR = _PACKAGE_DIR / "static"


def create_app(settings: Settings) -> Flask:
    settings.require_portal()
    logs.silence_access_logs()  # no request log: it would hold client addresses
    app = Flask(
        "portal",
        template_folder=str(TEMPLATE_DIR),
        static_folder=str(STATIC_DIR),
        static_url_path="/static",
    )
    app.config["TIPLINE_ENV"] = settings.env
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    init_security(app, settings)
    context = init_context(app, settings)
    app.register_blueprint(portal_bp)
    app.register_blueprint(referral_bp)
    app.register_blueprint(followup_bp)
    app.register_blueprint(health_bp)
    init_ratelimit(app, settings, context.redis)
    init_error_pages(app)
    return app
