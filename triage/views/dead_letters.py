"""Envelopes the intake worker could not queue: what failed and when, never content."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from triage import policy
from triage.access import login_required
from triage.queue import QueueFilters, list_dead_letters
from triage.web import db

bp = Blueprint("dead_letters", __name__)


@bp.get("/dead-letters")
@login_required
def index() -> str:
    page_number = QueueFilters.from_args(request.args).page
    page = list_dead_letters(db(), policy.visible_unit_id(g.officer), page_number)
    return render_template("triage/dead_letters.html", page=page)
