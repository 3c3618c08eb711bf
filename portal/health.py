"""``/healthz``: can this portal accept reports? JSON for load balancers and the supervisor.

``{"database": "ok"|"error", "redis": "ok"|"error"}`` with 200 when both are ok, else 503.
Redis being down does not stop reports from being accepted (the outbox holds them), but it does
stop them reaching triage, so it is reported. Error details go to the log, not the response.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from portal.context import current_context
from tipline import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    context = current_context()
    status, code = health.check(context.engine, context.redis)
    return jsonify(status), code
