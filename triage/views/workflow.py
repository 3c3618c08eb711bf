"""The officer's working panel: claim next, claim, renew, release, assign, record a
disposition, close, reopen, set the tier, and the case packet.

Every route checks login and the item's unit (another unit's item answers 404), role
refusals answer 403 (both audited by ``triage.access.deny``), and every change is a POST with
a CSRF token. The services do the work and the auditing; views validate, call, commit and
redirect.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, url_for
from redis.exceptions import RedisError
from sqlalchemy import select
from werkzeug.wrappers import Response

from tipline.queue_contract import enqueue_report_status
from triage import case_packet, claims, dispositions, lifecycle, policy, tier_override
from triage.access import deny, login_required
from triage.admin_forms import ActionForm, options
from triage.forms import MessageForm
from triage.messages import reporter_status_of
from triage.models import DISPOSITIONS, TIERS, Officer, QueueItem
from triage.notify import outbox
from triage.sealing import NoUnitKey, UnitCrypto
from triage.views.items import _item_page
from triage.views.lookup import item_or_404
from triage.web import db, web
from triage.workflow_forms import AssignForm, DispositionForm, ReopenForm, TierForm

bp = Blueprint("workflow", __name__)
log = logging.getLogger("triage.workflow")


def _minutes() -> int:
    return web().settings.claim_minutes


def _back(item: QueueItem, anchor: str = "workflow") -> Response:
    return redirect(url_for("items.show", item_id=item.id) + f"#{anchor}", code=303)


def _tell_reporter(item: QueueItem) -> None:
    """After a committed claim, assignment, close or reopening: send the reporter's coarse
    status ("being reviewed" or "closed", nothing about the decision) to the portal. Best
    effort, like every status update: the portal keeps the newest, and the next change or
    message sends the latest again."""
    context = web()
    try:
        enqueue_report_status(
            context.redis,
            item.envelope_id,
            reporter_status_of(item.status),
            context.clock().isoformat(),
        )
    except RedisError:
        log.warning("status of item %s not sent (Redis unavailable)", item.id)


def _again(item: QueueItem, status: int, error: str | None = None, **forms: Any) -> Response:
    """The item page again, with the panel's forms as submitted and their errors."""
    db().rollback()
    g.workflow_forms = forms
    g.workflow_error = error
    return _item_page(item, MessageForm(formdata=None), status=status)


# --- claims ----------------------------------------------------------------------------------


@bp.post("/queue/claim-next")
@login_required
def claim_next() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    item = claims.claim_next(db(), g.officer, web().clock(), _minutes())
    db().commit()
    if item is None:
        flash("Nothing to claim: every open item of your unit is taken.", "ok")
        return redirect(url_for("queue.index"), code=303)
    _tell_reporter(item)
    return _back(item, "top")


@bp.post("/items/<int:item_id>/claim")
@login_required
def claim(item_id: int) -> Response:
    item = item_or_404(item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        claims.claim_item(db(), item, g.officer, web().clock(), _minutes())
    except claims.ClaimError as exc:
        return _again(item, 409, str(exc))
    db().commit()
    _tell_reporter(item)
    return _back(item)


@bp.post("/items/<int:item_id>/renew")
@login_required
def renew(item_id: int) -> Response:
    item = item_or_404(item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        claims.renew_claim(db(), item, g.officer, web().clock(), _minutes())
    except claims.ClaimError as exc:
        return _again(item, 409, str(exc))
    db().commit()
    return _back(item)


@bp.post("/items/<int:item_id>/release")
@login_required
def release(item_id: int) -> Response:
    item = item_or_404(item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if item.claimed_by_id is None:
        flash("Nobody holds this item: it is in the queue.", "ok")
        return _back(item)
    if item.claimed_by_id != g.officer.id and not policy.can_assign(g.officer, item):
        deny(403, "not-holder", item_id=item.id)
    try:
        claims.release_claim(db(), item, g.officer, web().clock())
    except claims.ClaimError as exc:
        return _again(item, 409, str(exc))
    db().commit()
    flash(f"Item #{item.id} is back in the queue.", "ok")
    return redirect(url_for("queue.index"), code=303)


def unit_officers(unit_id: int) -> list[Officer]:
    return list(
        db().scalars(
            select(Officer)
            .where(Officer.unit_id == unit_id, Officer.active.is_(True))
            .order_by(Officer.username)
        )
    )


def assign_form(item: QueueItem, submitted: bool = True) -> AssignForm:
    form = AssignForm() if submitted else AssignForm(formdata=None)
    form.assignee.choices = options(
        [("", "Choose..."), *((o.username, o.username) for o in unit_officers(item.unit_id))]
    )
    return form


@bp.post("/items/<int:item_id>/assign")
@login_required
def assign(item_id: int) -> Response:
    item = item_or_404(item_id)
    if not policy.can_assign(g.officer, item):
        deny(403, "role", item_id=item.id)
    form = assign_form(item)
    if not form.validate_on_submit():
        return _again(item, 400, assign=form)
    target = (
        db()
        .scalars(
            select(Officer).where(Officer.username == form.assignee.data, Officer.active.is_(True))
        )
        .one_or_none()
    )
    if target is None:
        form.assignee.errors = ["Choose an officer of the unit."]
        return _again(item, 400, assign=form)
    try:
        claims.assign(db(), item, g.officer, target, web().clock(), _minutes())
    except claims.ClaimError as exc:
        form.assignee.errors = [str(exc)]
        return _again(item, 409, assign=form)
    db().commit()
    _tell_reporter(item)
    flash(f"Item #{item.id} assigned to {target.username}.", "ok")
    return _back(item)


# --- decisions -------------------------------------------------------------------------------


def _input(kind: str, form: DispositionForm) -> dispositions.DispositionInput:
    notified_at = form.notified_at.data
    if isinstance(notified_at, datetime) and notified_at.tzinfo is None:
        notified_at = notified_at.replace(tzinfo=UTC)  # the form asks for UTC
    return dispositions.DispositionInput(
        disposition=kind,
        note=form.note.data or "",
        law_enforcement_notified="yes" if form.law_enforcement_notified.data else "",
        notified_at=notified_at,
        partner_kind=form.partner_kind.data or "",
        partner_name=form.partner_name.data or "",
        review_on=form.review_on.data,
        reason=form.reason.data or "",
    )


@bp.post("/items/<int:item_id>/dispositions/<kind>")
@login_required
def decide(item_id: int, kind: str) -> Response:
    item = item_or_404(item_id)
    if kind not in DISPOSITIONS:
        abort(404)
    if not policy.can_decide(g.officer, item):
        deny(403, "not-holder", item_id=item.id)
    form = DispositionForm(prefix=kind)
    if not form.validate_on_submit():
        return _again(item, 400, dispositions={kind: form}, disposition=kind)
    context = web()
    try:
        dispositions.record_disposition(
            db(), UnitCrypto(context.keyring), item, g.officer, _input(kind, form), context.clock()
        )
    except dispositions.DispositionInvalid as exc:
        for field, message in exc.errors.items():
            if field in form:
                form[field].errors = [*form[field].errors, message]
        return _again(item, 400, dispositions={kind: form}, disposition=kind)
    except (dispositions.CannotDecide, NoUnitKey) as exc:
        return _again(item, 409, str(exc), dispositions={kind: form}, disposition=kind)
    db().commit()
    flash(f"Recorded: {dispositions.LABELS[kind]}.", "ok")
    return _back(item, "trail")


@bp.post("/items/<int:item_id>/close")
@login_required
def close(item_id: int) -> Response:
    item = item_or_404(item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        lifecycle.close(db(), item, g.officer, web().clock())
    except lifecycle.InvalidTransition as exc:
        return _again(item, 409, str(exc))
    db().commit()
    _tell_reporter(item)
    flash(f"Item #{item.id} closed.", "ok")
    return _back(item)


@bp.post("/items/<int:item_id>/reopen")
@login_required
def reopen(item_id: int) -> Response:
    item = item_or_404(item_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        return _again(item, 400, reopen=form)
    if form.reopen_reason.data not in lifecycle.REOPEN_REASONS:
        form.reopen_reason.errors = ["Choose why the item is reopened."]
        return _again(item, 400, reopen=form)
    try:
        lifecycle.reopen(db(), item, g.officer, form.reopen_reason.data, web().clock())
    except lifecycle.InvalidTransition as exc:
        form.reopen_reason.errors = [str(exc)]
        return _again(item, 409, reopen=form)
    db().commit()
    _tell_reporter(item)
    flash(f"Item #{item.id} reopened: it is back in the queue.", "ok")
    return _back(item)


def tier_form(submitted: bool = True) -> TierForm:
    form = TierForm() if submitted else TierForm(formdata=None)
    tiers = web().rules.tiers
    form.new_tier.choices = options(
        [("", "Choose..."), *((t, f"{t} {tiers[t].label}") for t in TIERS if t in tiers)]
    )
    return form


@bp.post("/items/<int:item_id>/tier")
@login_required
def set_tier(item_id: int) -> Response:
    item = item_or_404(item_id)
    if not policy.can_set_tier(g.officer, item):
        deny(403, "role", item_id=item.id)
    form = tier_form()
    if not form.validate_on_submit():
        return _again(item, 400, tier=form)
    context = web()
    try:
        old = tier_override.set_tier(
            db(),
            item,
            g.officer,
            form.new_tier.data or "",
            form.tier_reason.data or "",
            context.rules,
            context.clock(),
            context.settings,
        )
    except tier_override.CannotSetTier as exc:
        form.new_tier.errors = [str(exc)]
        return _again(item, 400, tier=form)
    pages = outbox.pending_ids_for_item(db(), item.id)
    db().commit()
    outbox.enqueue_delivery(context.redis, pages)
    flash(f"Tier changed from {old} to {item.tier}; the rules no longer change it.", "ok")
    return _back(item)


# --- the case packet -------------------------------------------------------------------------


def _packet(item: QueueItem, form: str) -> dict[str, Any]:
    context = web()
    now = context.clock()
    packet = case_packet.build(db(), UnitCrypto(context.keyring), item, g.officer, now)
    case_packet.record_packet(db(), item, g.officer, packet, form, now)
    db().commit()
    return packet


@bp.get("/items/<int:item_id>/case-packet")
@login_required
def packet_page(item_id: int) -> Response:
    item = item_or_404(item_id)
    packet = _packet(item, "html")
    response = make_response(
        render_template(
            "triage/case_packet.html",
            item=item,
            packet=packet,
            tier_info=web().rules.tiers,
            labels=dispositions.LABELS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/items/<int:item_id>/case-packet.json")
@login_required
def packet_json(item_id: int) -> Response:
    item = item_or_404(item_id)
    packet = _packet(item, "json")
    response = make_response(json.dumps(packet, ensure_ascii=False, indent=2))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="case-packet-item-{item.id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the panel on the item page --------------------------------------------------------------


@bp.app_template_global()
def claim_holders(rows: list[QueueItem]) -> dict[int, str]:
    """For the queue page: who holds a live claim on each of these items (one query)."""
    now = web().clock()
    held = {item.id: item.claimed_by_id for item in rows if claims.live_holder_id(item, now)}
    if not held:
        return {}
    query = select(Officer.id, Officer.username).where(Officer.id.in_(set(held.values())))
    names = dict(db().execute(query).all())
    return {item_id: names.get(officer_id, "") for item_id, officer_id in held.items()}


@bp.app_template_global()
def workflow_panel(item: QueueItem) -> dict[str, Any]:
    """What the item page's working panel shows (``templates/triage/_workflow.html``)."""
    context = web()
    now = context.clock()
    officer: Officer = g.officer
    given: dict[str, Any] = getattr(g, "workflow_forms", None) or {}
    holder_id = claims.live_holder_id(item, now)
    holder = db().get(Officer, holder_id) if holder_id is not None else None
    lapsed = item.claimed_by_id is not None and holder_id is None
    can_assign = policy.can_assign(officer, item)
    forms: dict[str, Any] = {}
    for kind in DISPOSITIONS:
        forms[kind] = given.get("dispositions", {}).get(kind) or DispositionForm(
            formdata=None, prefix=kind
        )
    crypto = UnitCrypto(context.keyring)
    decisions = [dispositions.present(crypto, d) for d in dispositions.decisions_of(db(), item.id)]
    return {
        "now": now,
        "holder": holder,
        "holds": holder_id == officer.id,
        "lapsed": lapsed,
        "is_open": item.status in ("new", "in_review"),
        "can_assign": can_assign,
        "can_decide": policy.can_decide(officer, item) and item.status == "in_review",
        "can_set_tier": policy.can_set_tier(officer, item) and item.status in ("new", "in_review"),
        "assign": given.get("assign")
        or (assign_form(item, submitted=False) if can_assign else None),
        "dispositions": forms,
        "open_disposition": given.get("disposition"),
        "required": dispositions.REQUIRED,
        "labels": dispositions.LABELS,
        "reopen": given.get("reopen") or ReopenForm(formdata=None),
        "tier": given.get("tier") or tier_form(submitted=False),
        "decisions": decisions,
        "error": getattr(g, "workflow_error", None),
        "trail": case_packet.trail(db(), item.id),
    }
