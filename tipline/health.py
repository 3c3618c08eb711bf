"""The ``/healthz`` answer both web apps give: can this side reach its database and Redis?

``{"database": "ok"|"error", "redis": "ok"|"error"}``, 200 when both are ok, else 503. Error
details go to the log (exception class only), never into the response.
"""

from __future__ import annotations

import logging

from redis import Redis
from sqlalchemy import Engine, text

log = logging.getLogger("tipline.health")


def check(engine: Engine, redis: Redis) -> tuple[dict[str, str], int]:
    status = {"database": "ok", "redis": "ok"}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health: database unavailable (%s)", exc.__class__.__name__)
        status["database"] = "error"
    try:
        redis.ping()
    except Exception as exc:
        log.warning("health: Redis unavailable (%s)", exc.__class__.__name__)
        status["redis"] = "error"
    return status, 200 if all(v == "ok" for v in status.values()) else 503
