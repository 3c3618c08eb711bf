"""One queue item, opened in memory for an officer of its unit."""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template
from werkzeug.wrappers import Response

from tipline.report_schema import CATEGORIES
from triage.access import login_required
from triage.items import NOT_GIVEN, item_for_officer, open_for_officer
from triage.models import STATUS_LABELS
from triage.queue import is_overdue
from triage.web import db, web

bp = Blueprint("items", __name__)


@bp.get("/items/<int:item_id>")
@login_required
def show(item_id: int) -> Response:
    context = web()
    item = item_for_officer(db(), item_id, g.officer)
    if item is None:
        db().commit()  # keep the access-denied event
        abort(404)
    report = open_for_officer(db(), item, g.officer, context.keyring)
    db().commit()
    now = context.clock()
    response = make_response(
        render_template(
            "triage/item.html",
            item=item,
            report=report,
            overdue=is_overdue(item, now),
            now=now,
            tier_info=context.rules.tiers,
            status_labels=STATUS_LABELS,
            categories=CATEGORIES,
            not_given=NOT_GIVEN,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
