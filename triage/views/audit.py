"""The supervisor's audit log: their unit's events with filters, and a check of the chain.
Reading the log and checking it are themselves audited."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask_wtf import FlaskForm

from triage import audit_log, policy
from triage.access import deny, login_required
from triage.audit import record
from triage.audit_verify import verify
from triage.web import db, web

bp = Blueprint("audit", __name__)


class VerifyForm(FlaskForm):
    """No fields: the CSRF token is the form."""


def _allowed() -> None:
    if not policy.can_see_audit_log(g.officer):
        deny(403, "role")


@bp.get("/audit")
@login_required
def index() -> tuple[str, int]:
    _allowed()
    return _page(check=None)


@bp.post("/audit/verify")
@login_required
def check() -> tuple[str, int]:
    """Walk the whole chain (every unit's events: the chain is one) and show the result."""
    _allowed()
    form = VerifyForm()
    if not form.validate_on_submit():
        return _page(check=None, status=400)
    settings = web().settings
    assert settings.audit_key
    report = verify(db(), settings.audit_key)
    db().rollback()  # the walk wrote nothing; start the event's transaction cleanly
    record(
        db(),
        "audit-verified",
        officer_id=g.officer.id,
        detail={"ok": report.ok, "checked": report.checked, "problems": len(report.problems)},
        at=web().clock(),
    )
    db().commit()
    return _page(check=report)


def _page(check: object, status: int = 200) -> tuple[str, int]:
    session = db()
    unit_id = policy.visible_unit_id(g.officer)
    filters, errors = audit_log.parse_filters(request.args)
    page = audit_log.events_page(session, unit_id, filters)
    events = list(page.rows)
    names = audit_log.usernames_by_id(session, events)
    own = audit_log.own_items(session, unit_id, events)
    actions = audit_log.unit_actions(session, unit_id)
    usernames = audit_log.unit_usernames(session, unit_id)
    if check is None:
        record(
            session,
            "audit-viewed",
            officer_id=g.officer.id,
            detail=filters.as_detail(),
            at=web().clock(),
        )
        session.commit()
    typed = {k: request.args.get(k, "") for k in ("officer", "action", "item", "from", "to")}
    html = render_template(
        "triage/audit.html",
        page=page,
        events=events,
        names=names,
        own=own,
        filters=filters,
        form=typed,
        errors=errors,
        actions=actions,
        usernames=usernames,
        check=check,
        verify_form=VerifyForm(formdata=None),
    )
    return html, 400 if errors and status == 200 else status
