"""The intake queue of the officer's unit."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from tipline.report_schema import CATEGORIES
from triage import policy
from triage import queue as service
from triage.access import login_required
from triage.models import STATUS_LABELS, TIERS
from triage.web import db, web

bp = Blueprint("queue", __name__)


@bp.get("/")
def home() -> Response:
    return redirect(url_for("queue.index"))


@bp.get("/queue")
@login_required
def index() -> str:
    context = web()
    now = context.clock()
    filters = service.QueueFilters.from_args(request.args)
    unit_id = policy.visible_unit_id(g.officer)
    page = service.list_items(db(), unit_id, filters)
    return render_template(
        "triage/queue.html",
        page=page,
        filters=filters,
        counts=service.open_counts(db(), unit_id, now),
        replied=service.unread_reply_count(db(), unit_id),
        overdue={item.id for item in page.rows if service.is_overdue(item, now)},
        organizations=service.organization_names(db(), page.rows),
        now=now,
        tiers=TIERS,
        tier_info=context.rules.tiers,
        status_filters=service.STATUS_FILTERS,
        status_labels=STATUS_LABELS,
        categories=CATEGORIES,
    )
