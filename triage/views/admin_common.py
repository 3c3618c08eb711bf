"""What every admin screen does after a change: audit it, commit, publish, tell the admin."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, g
from redis.exceptions import RedisError

from triage.audit import record
from triage.directory_admin import DirectoryError
from triage.publishing import publish_directory
from triage.web import db, web

log = logging.getLogger("triage.admin")
T = TypeVar("T")


def changed(message: str, change: str, **detail: object) -> None:
    """Record a ``directory-changed`` event, commit, publish the directory to the portal (best
    effort: the intake worker re-publishes periodically) and flash ``message``."""
    session = db()
    record(
        session,
        "directory-changed",
        officer_id=g.officer.id,
        detail={"change": change} | detail,
        at=web().clock(),
    )
    session.commit()
    try:
        publish_directory(session, web().redis)
    except RedisError as exc:
        log.warning("directory not published now (%s); the worker will", exc.__class__.__name__)
        flash(
            "Saved. The portal will see the change within minutes (it could not be sent now).",
            "warning",
        )
    flash(message, "ok")


def found(lookup: Callable[[], T]) -> T:
    """``lookup()``, or 404 when it names something that does not exist."""
    try:
        return lookup()
    except DirectoryError:
        db().rollback()
        abort(404)


def failed(exc: DirectoryError) -> None:
    """A refused change: nothing of it is kept; the admin is told why."""
    db().rollback()
    flash(str(exc), "error")
