"""Acknowledging a life-safety page: the link in the page (``/ack/<token>``: GET shows what
will be acknowledged, POST acknowledges) and the button on the item page. Both need a login
and the item's unit, like the item itself."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from triage import paging
from triage.access import login_required
from triage.admin_forms import ActionForm
from triage.alerts_view import item_alerts
from triage.audit import record
from triage.items import item_for_officer
from triage.models import QueueItem
from triage.notify.tokens import token_hash
from triage.views.lookup import item_or_404
from triage.web import db, web

bp = Blueprint("alerts", __name__)


@bp.app_context_processor
def _alerts_helpers() -> dict[str, object]:
    return {"item_alerts": lambda item: item_alerts(db(), item)}


@bp.get("/ack/<token>")
@login_required
def ack_page(token: str) -> Response | tuple[str, int]:
    item = _item_of_token(token)
    if item is None:
        return _invalid()
    return render_template(
        "triage/ack.html", item=item, alerts=item_alerts(db(), item), form=ActionForm()
    ), 200


@bp.post("/ack/<token>")
@login_required
def ack(token: str) -> Response | tuple[str, int]:
    item = _item_of_token(token)
    if item is None:
        return _invalid()
    if not ActionForm().validate_on_submit():
        abort(400)
    return _acknowledge(item, "link")


@bp.post("/items/<int:item_id>/acknowledge")
@login_required
def ack_from_item(item_id: int) -> Response:
    item = item_or_404(item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _acknowledge(item, "item-page")


def _acknowledge(item: QueueItem, via: str) -> Response:
    alert = paging.acknowledge(db(), item, g.officer, web().clock(), via)
    db().commit()
    if alert is not None:
        flash(f"Item #{item.id} acknowledged: nobody else will be paged for it.", "ok")
    else:
        current = item_alerts(db(), item)
        if current.page is not None and current.page.status == "acknowledged":
            who = current.acknowledged_by or "another officer"
            flash(f"Item #{item.id} was already acknowledged by {who}.", "ok")
        else:
            flash(f"Item #{item.id} is not being paged: there is nothing to acknowledge.", "ok")
    return redirect(url_for("items.show", item_id=item.id), code=303)


def _item_of_token(token: str) -> QueueItem | None:
    """The item a token's page was about, if the token is known and the officer may see the
    item (another unit's answers 404, recorded by ``item_for_officer``). An unknown token is
    recorded too, and gives None."""
    notification = None
    if 20 <= len(token) <= 100:
        notification = paging.notification_by_token_hash(db(), token_hash(token))
    if notification is None:
        record(
            db(),
            "access-denied",
            officer_id=g.officer.id,
            detail={"endpoint": request.endpoint or "", "reason": "unknown-ack-token"},
            at=web().clock(),
        )
        db().commit()
        return None
    item = item_for_officer(db(), notification.alert.item_id, g.officer)
    if item is None:
        db().commit()  # keep the access-denied event
        abort(404)
    return item


def _invalid() -> tuple[str, int]:
    return render_template("triage/ack_invalid.html"), 404
