"""The SLA clock: every open item (new or in review) must be decided by its ``due_at``.

- **Warning**: when less than ``settings.sla_warning_percent`` % of the item's time (from
  ``received_at`` to ``due_at``) is left, the item is flagged (``warned_at``; a "Due soon"
  badge in the queue and on the item page). Nobody is notified: the queue shows it.
- **Breach**: an item still open after its ``due_at`` is escalated (``escalated_at``; an
  "Escalated" badge) and every supervisor contact of its unit is notified.

Each happens at most once per item, also across restarts and concurrent schedulers: the flag
is set with a compare-and-set (``... WHERE warned_at IS NULL``), and the ``Alert`` row of the
same transaction is unique per (item, kind), so a second attempt changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tipline.db import transaction
from tipline.settings import Settings
from triage.audit import record
from triage.models import OPEN_STATUSES, Alert, QueueItem
from triage.notify.outbox import queue_notification
from triage.paging import supervisors

log = logging.getLogger("triage.sla")


def warning_due(received_at: datetime, due_at: datetime, now: datetime, percent: int) -> bool:
    """Less than ``percent`` % of the time from receipt to due is left, and it is not past due
    yet."""
    if now >= due_at:
        return False
    return (due_at - now) * 100 < (due_at - received_at) * percent


def warn(session: Session, item_id: int, now: datetime) -> bool:
    """Flag one item "due soon" (caller's transaction); False if it already was."""
    flagged = session.execute(
        update(QueueItem)
        .where(
            QueueItem.id == item_id,
            QueueItem.warned_at.is_(None),
            QueueItem.status.in_(OPEN_STATUSES),
        )
        .values(warned_at=now)
        .execution_options(synchronize_session=False)
    )
    if flagged.rowcount != 1:
        return False
    item = session.get(QueueItem, item_id)
    assert item is not None
    session.add(
        Alert(
            item_id=item.id, unit_id=item.unit_id, kind="sla_warning", status="done", created_at=now
        )
    )
    session.flush()
    record(session, "sla-warned", item_id=item.id, detail={"tier": item.tier}, at=now)
    return True


def escalate(session: Session, item_id: int, now: datetime) -> bool:
    """Escalate one past-due open item to its unit's supervisors (caller's transaction);
    False if it already was (or is no longer open or due)."""
    flagged = session.execute(
        update(QueueItem)
        .where(
            QueueItem.id == item_id,
            QueueItem.escalated_at.is_(None),
            QueueItem.status.in_(OPEN_STATUSES),
            QueueItem.due_at <= now,
        )
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    if flagged.rowcount != 1:
        return False
    item = session.get(QueueItem, item_id)
    assert item is not None
    session.refresh(item)
    alert = Alert(
        item_id=item.id, unit_id=item.unit_id, kind="sla_breach", status="done", created_at=now
    )
    session.add(alert)
    session.flush()
    notified = [
        queue_notification(session, alert, contact, now).contact_id
        for contact in supervisors(session, item.unit_id)
    ]
    record(
        session,
        "sla-escalated",
        item_id=item.id,
        detail={"tier": item.tier, "supervisors": len(notified)},
        at=now,
    )
    if notified:
        log.warning("item %s is past its due time: escalated to supervisors", item.id)
    else:
        log.error("item %s is past its due time and its unit has no supervisor contact", item.id)
    return True


def run(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> dict[str, int]:
    """The scheduler's step: warn and escalate every open item that needs it, one item per
    transaction. Returns ``{"warned": n, "escalated": n}``."""
    with sessions() as session:
        unflagged = session.execute(
            select(QueueItem.id, QueueItem.received_at, QueueItem.due_at, QueueItem.warned_at)
            .where(
                QueueItem.status.in_(OPEN_STATUSES),
                QueueItem.escalated_at.is_(None),
            )
            .order_by(QueueItem.due_at)
        ).all()
    warned = escalated = 0
    for item_id, received_at, due_at, warned_at in unflagged:
        if due_at <= now:
            escalated += _once(sessions, lambda s, i=item_id: escalate(s, i, now))
        elif warned_at is None and warning_due(
            received_at, due_at, now, settings.sla_warning_percent
        ):
            warned += _once(sessions, lambda s, i=item_id: warn(s, i, now))
    return {"warned": warned, "escalated": escalated}


def _once(sessions: sessionmaker[Session], step: Callable[[Session], bool]) -> int:
    """Run ``step`` in its own transaction; a concurrent scheduler that did it first (unique
    alert index) counts as not done here."""
    try:
        with transaction(sessions) as session:
            return int(step(session))
    except IntegrityError:
        log.info("SLA step already done by another scheduler")
        return 0
