"""Health check for supervisors and load balancers (no login, no details)."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from triage.web import web

bp = Blueprint("health", __name__)
log = logging.getLogger("triage.health")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    context = web()
    status = {"database": "ok", "redis": "ok"}
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health: database unreachable (%s)", exc.__class__.__name__)
        status["database"] = "error"
    try:
        context.redis.ping()
    except (RedisError, OSError) as exc:
        log.warning("health: redis unreachable (%s)", exc.__class__.__name__)
        status["redis"] = "error"
    healthy = all(value == "ok" for value in status.values())
    return jsonify(status), 200 if healthy else 503
