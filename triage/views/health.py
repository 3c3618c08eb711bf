"""Health check for supervisors and load balancers (no login, no details)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from tipline import health
from triage.web import web

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    context = web()
    status, code = health.check(context.engine, context.redis)
    return jsonify(status), code
