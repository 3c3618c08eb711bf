"""Follow-up statistics of the officer's unit."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from triage import policy
from triage.access import login_required
from triage.stats import followup_stats
from triage.web import db

bp = Blueprint("stats", __name__)


@bp.get("/stats")
@login_required
def index() -> str:
    return render_template(
        "triage/stats.html", stats=followup_stats(db(), policy.visible_unit_id(g.officer))
    )
