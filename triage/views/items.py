"""One queue item, opened in memory for an officer of its unit, and its conversation."""

from __future__ import annotations

from flask import Blueprint, flash, g, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from tipline.report_schema import CATEGORIES
from triage import conversation, messages, moves, policy
from triage.access import deny, login_required
from triage.admin_forms import MoveItemForm, options
from triage.directory_admin import DirectoryError, list_units
from triage.forms import MessageForm
from triage.items import NOT_GIVEN, open_for_officer
from triage.models import STATUS_LABELS, QueueItem
from triage.queue import is_overdue, organization_names
from triage.sealing import UnitCrypto
from triage.views.lookup import item_or_404
from triage.web import db, web

bp = Blueprint("items", __name__)


@bp.get("/items/<int:item_id>")
@login_required
def show(item_id: int) -> Response:
    item = item_or_404(item_id)
    return _item_page(item, MessageForm(formdata=None))


@bp.post("/items/<int:item_id>/messages")
@login_required
def send_message(item_id: int) -> Response:
    item = item_or_404(item_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _item_page(item, form, status=400)
    context = web()
    now = context.clock()
    try:
        message = messages.send_question(
            db(), UnitCrypto(context.keyring), item, g.officer, form.text.data or "", now
        )
    except messages.CannotMessage as exc:
        db().rollback()
        return _item_page(item, form, status=409, send_error=str(exc))
    db().commit()
    # Only now that the question is durable does it go out (else the relay sends it).
    messages.deliver(context.sessions, context.redis, message.id, now)
    return redirect(url_for("items.show", item_id=item.id) + "#conversation", code=303)


@bp.post("/items/<int:item_id>/move")
@login_required
def move(item_id: int) -> Response:
    """A supervisor moves an item of their unit to another unit, saying why."""
    item = item_or_404(item_id)
    if not policy.can_move_item(g.officer, item):
        deny(403, "role", item_id=item.id)
    form = MoveItemForm()
    form.unit.choices = _move_choices(item)
    if not form.validate_on_submit():
        return _item_page(item, MessageForm(formdata=None), status=400, move_form=form)
    now = web().clock()
    try:
        target = moves.move_item(db(), item, g.officer, form.unit.data or "", form.reason.data, now)
    except DirectoryError as exc:
        db().rollback()
        form.unit.errors = [str(exc)]
        return _item_page(item, MessageForm(formdata=None), status=400, move_form=form)
    db().commit()
    flash(f"Item #{item.id} moved to {target.name}. Your unit no longer sees it.", "ok")
    return redirect(url_for("queue.index"), code=303)


def _move_choices(item: QueueItem) -> list[tuple[str, str]]:
    return options((u.slug, u.name) for u in list_units(db()) if u.id != item.unit_id)


def _item_page(
    item: QueueItem,
    form: MessageForm,
    status: int = 200,
    send_error: str | None = None,
    move_form: MoveItemForm | None = None,
) -> Response:
    """Open the report and its conversation in memory, record the view, mark replies read."""
    context = web()
    now = context.clock()
    report = open_for_officer(db(), item, g.officer, context.keyring)
    entries = conversation.conversation(db(), UnitCrypto(context.keyring), item)
    named = [f.id for f in report.files] if report else []
    named += [f.id for entry in entries for f in entry.files]
    arrived = conversation.arrived(db(), named)
    conversation.mark_replies_read(db(), item, now)
    db().commit()
    if move_form is None and policy.can_move_item(g.officer, item):
        move_form = MoveItemForm(formdata=None)
        move_form.unit.choices = _move_choices(item)
    response = make_response(
        render_template(
            "triage/item.html",
            item=item,
            report=report,
            entries=entries,
            arrived=arrived,
            form=form,
            send_error=send_error,
            overdue=is_overdue(item, now),
            now=now,
            tier_info=context.rules.tiers,
            status_labels=STATUS_LABELS,
            categories=CATEGORIES,
            not_given=NOT_GIVEN,
            organizations=organization_names(db(), [item]),
            move_form=move_form,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
