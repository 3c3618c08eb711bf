"""Login required: every officer view runs with ``g.officer`` and ``g.unit`` loaded."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from triage.models import Officer
from triage.web import db

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
