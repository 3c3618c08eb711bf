"""``/healthz``: can this portal accept reports? JSON for load balancers and the supervisor.

``{"database": "ok"|"error", "redis": "ok"|"error"}`` with 200 when both are ok, else 503.
Redis being down does not stop reports from being accepted (the outbox holds them), but it does
stop them reaching triage, so it is reported. Error details go to the log, not the response.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from portal.context import current_context

bp = Blueprint("health", __name__)
log = logging.getLogger("portal.health")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    context = current_context()
    status = {"database": "ok", "redis": "ok"}
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health: portal database unavailable (%s)", exc.__class__.__name__)
        status["database"] = "error"
    try:
        context.redis.ping()
    except RedisError as exc:
        log.warning("health: Redis unavailable (%s)", exc.__class__.__name__)
        status["redis"] = "error"
    healthy = all(value == "ok" for value in status.values())
    return jsonify(status), 200 if healthy else 503
