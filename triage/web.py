"""What the officers' app holds per process, and per-request helpers used by the views.

``WebContext`` lives in ``app.extensions["triage"]``: the database engine and session factory,
the unit's private keys (to open an item in memory when an officer views it), the rules (tier
labels), Redis (health check only) and a clock that tests can replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Response, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tipline.db import make_engine
from tipline.keys import PrivateKey, load_private_keys
from tipline.settings import Settings
from triage import audit, policy
from triage.models import utcnow
from triage.rules import Rules, load_rules

EXTENSION = "triage"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@dataclass
class WebContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: dict[str, PrivateKey]
    rules: Rules
    redis: Redis
    clock: Callable[[], datetime] = utcnow


def build_context(settings: Settings) -> WebContext:
    """Reads the key and rules files; opens no connection (engines and Redis are lazy)."""
    assert settings.triage_database_url and settings.redis_url and settings.private_key_dir
    engine = make_engine(settings.triage_database_url)
    return WebContext(
        settings=settings,
        engine=engine,
        sessions=audit.triage_sessions(engine, settings),
        keyring=load_private_keys(settings.private_key_dir),
        rules=load_rules(settings.rules_path),
        redis=Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2),
    )


def web() -> WebContext:
    context: WebContext = current_app.extensions[EXTENSION]
    return context


def db() -> Session:
    """This request's database session (closed, and rolled back if uncommitted, at teardown)."""
    if "triage_db" not in g:
        g.triage_db = web().sessions()
    session: Session = g.triage_db
    return session


def _close_db(_exc: BaseException | None) -> None:
    session = g.pop("triage_db", None)
    if session is not None:
        session.close()


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Officer pages list sensitive items: never keep them in a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("triage/error.html", title=title, message=message), status


def init_request_handling(app: Flask) -> None:
    app.teardown_appcontext(_close_db)
    app.context_processor(lambda: {"policy": policy})
    app.after_request(_security_headers)
    app.register_error_handler(
        CSRFError,
        lambda _e: _error_page(
            400, "Form expired", "The form was out of date. Go back, reload the page and try again."
        ),
    )
    app.register_error_handler(
        403,
        lambda _e: _error_page(
            403, "Not allowed", "Your role does not allow this. Ask an administrator."
        ),
    )
    app.register_error_handler(
        404, lambda _e: _error_page(404, "Not found", "There is nothing here for your unit.")
    )
    app.register_error_handler(
        405, lambda _e: _error_page(405, "Not allowed", "That action is not possible here.")
    )
    app.register_error_handler(
        413, lambda _e: _error_page(413, "Too large", "That request is too large.")
    )
