"""Login and role checks for the views: every officer view runs with ``g.officer`` and
``g.unit`` loaded. The rules themselves are in ``triage.policy``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for

from triage import policy
from triage.audit import record
from triage.models import Officer
from triage.web import db, web

F = TypeVar("F", bound=Callable[..., Any])


def current_officer() -> Officer | None:
    """The active officer this request's session belongs to, if any."""
    officer_id = getattr(session, "officer_id", None)
    if officer_id is None:
        return None
    officer = db().get(Officer, officer_id)
    if officer is None or not officer.active:
        return None
    return officer


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        officer = current_officer()
        if officer is None:
            target = request.full_path if request.method == "GET" else None
            return redirect(url_for("auth.login", next=safe_next(target)))
        g.officer = officer
        g.unit = officer.unit
        return view(*args, **kwargs)

    return cast(F, wrapped)


def admin_required(view: F) -> F:
    """Login required, and the admin role (``policy.can_administer``); else 403, audited."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not policy.can_administer(g.officer):
            deny(403, "role")
        return view(*args, **kwargs)

    return cast(F, login_required(cast(F, wrapped)))


def deny(status: int, reason: str, item_id: int | None = None, **detail: object) -> None:
    """Record an ``access-denied`` event for this request and answer ``status``
    (404: another unit's, 403: not for this role). Never returns."""
    session = db()
    session.rollback()  # nothing half-done by the view is kept with the event
    record(
        session,
        "access-denied",
        officer_id=g.officer.id,
        item_id=item_id,
        detail={"endpoint": request.endpoint or "", "reason": reason} | detail,
        at=web().clock(),
    )
    session.commit()
    abort(status)


def safe_next(target: str | None) -> str | None:
    """A same-site path to return to after login, or None (no open redirects)."""
    if not target:
        return None
    target = target.rstrip("?")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or target.startswith("/login"):
        return None
    return target
