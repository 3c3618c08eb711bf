"""The audit trail: who did what to which item, when. Details are small and never content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.models import AuditEvent, utcnow


def record(
    session: Session,
    action: str,
    *,
    officer_id: int | None = None,
    item_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an event (``officer_id`` None means the system); flushed with the caller's work."""
    event = AuditEvent(
        at=at or utcnow(),
        officer_id=officer_id,
        action=action,
        item_id=item_id,
        detail=detail or {},
    )
    session.add(event)
    return event
