"""Moving an item to another unit (a supervisor's decision, with a reason that is kept).

The move is recorded twice: as a ``moved`` audit event, and in the item's route reasons, so
the receiving unit sees why the item is theirs. The old unit loses access at once (access
follows ``QueueItem.unit_id``; ``triage.policy``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from triage import policy
from triage.audit import record
from triage.directory_admin import DirectoryError, get_unit
from triage.models import Officer, QueueItem, Unit


class CannotMove(DirectoryError):
    """The move is not possible as asked; the message says why."""


def move_item(
    session: Session,
    item: QueueItem,
    officer: Officer,
    unit_slug: str,
    reason: str,
    now: datetime,
) -> Unit:
    """Move ``item`` to unit ``unit_slug``; flushes, never commits. The caller has checked
    ``policy.can_move_item`` (checked again here: this is the last line)."""
    if not policy.can_move_item(officer, item):
        raise CannotMove("only a supervisor of the item's unit can move it")
    reason = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not reason:
        raise CannotMove("say why the item moves")
    target = get_unit(session, unit_slug)
    if target.id == item.unit_id:
        raise CannotMove("the item is already in that unit")
    source = session.get(Unit, item.unit_id)
    source_name = source.name if source is not None else "another unit"
    item.unit_id = target.id
    # Whoever held it in the old unit can no longer see it: it arrives unclaimed.
    item.claimed_by_id = None
    item.claim_expires_at = None
    item.route_reasons = [
        *item.route_reasons,
        {
            "rule": "moved",
            "text": f"Moved from {source_name} to {target.name} by {officer.username}: {reason}",
            "at": now.isoformat(),
        },
    ]
    record(
        session,
        "moved",
        officer_id=officer.id,
        item_id=item.id,
        detail={
            "from": source.slug if source is not None else None,
            "to": target.slug,
            "reason": reason,
        },
        at=now,
    )
    session.flush()
    return target
