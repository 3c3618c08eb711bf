"""An item's status: new -> in_review -> decided -> closed, and reopening.

- ``new``: nobody has looked at it yet;
- ``in_review``: someone claimed it (``triage.claims``; the first claim starts the review);
- ``decided``: a disposition was recorded (``triage.dispositions``);
- ``closed``: the unit is done with it (what the disposition called for has been done);
- reopening a decided or closed item puts it back ``in_review`` (and in the queue), with a
  reason chosen from a short list, so that the audit trail says why without any content, and
  starts its due clock again: the tier's time, counted from the reopening;
- a "monitor" decision comes back by itself on its review date (``reopen_reviews_due``, run
  by the scheduler's tick), as a reopening by the system with the reason ``review_due``.

Any other move is refused with ``InvalidTransition``, whose message says what is possible.
Functions flush and never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage import policy
from triage.audit import record
from triage.models import STATUS_LABELS, Officer, QueueItem

# (from, to) -> what the move is called.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("new", "in_review"): "claim",
    ("in_review", "decided"): "decide",
    ("decided", "closed"): "close",
    ("decided", "in_review"): "reopen",
    ("closed", "in_review"): "reopen",
}

REOPEN_REASONS: dict[str, str] = {
    "new_information": "New information came in",
    "reporter_replied": "The reporter wrote again",
    "related_report": "A related report arrived",
    "review_due": "The monitoring review date came",
    "decision_error": "The decision was recorded in error",
    "supervisor_request": "A supervisor asked for another look",
}


class InvalidTransition(ValueError):
    """The item cannot move from its status to the one asked for; the message says why."""


def check_transition(item: QueueItem, to: str) -> str:
    """The name of the move from the item's status to ``to``, or ``InvalidTransition``."""
    move = TRANSITIONS.get((item.status, to))
    if move is None:
        allowed = [STATUS_LABELS[b].lower() for (a, b) in TRANSITIONS if a == item.status]
        now_is = STATUS_LABELS.get(item.status, item.status).lower()
        target = STATUS_LABELS.get(to, to).lower()
        hint = f"from {now_is} it can go to {' or '.join(allowed)}" if allowed else ""
        raise InvalidTransition(
            f"the item is {now_is} and cannot become {target}" + (f"; {hint}" if hint else "")
        )
    return move


def close(session: Session, item: QueueItem, officer: Officer, now: datetime) -> None:
    """A decided item is done with."""
    if not policy.can_work_item(officer, item):
        raise InvalidTransition("this item is not in your unit's queue")
    check_transition(item, "closed")
    item.status = "closed"
    item.closed_at = now
    session.flush()
    record(session, "closed", officer_id=officer.id, item_id=item.id, detail={}, at=now)


def reopen(session: Session, item: QueueItem, officer: Officer, reason: str, now: datetime) -> None:
    """A decided or closed item goes back to review (and to the queue, unclaimed), with a
    reason from ``REOPEN_REASONS``. Its earlier decisions stay in the trail."""
    if not policy.can_work_item(officer, item):
        raise InvalidTransition("this item is not in your unit's queue")
    if reason not in REOPEN_REASONS:
        raise InvalidTransition("choose why the item is reopened")
    previous = item.status
    check_transition(item, "in_review")
    item.status = "in_review"
    item.closed_at = None
    item.claimed_by_id = None
    item.claim_expires_at = None
    _restart_clock(item, now)
    session.flush()
    record(
        session,
        "reopened",
        officer_id=officer.id,
        item_id=item.id,
        detail={"from": previous, "reason": reason},
        at=now,
    )


def _restart_clock(item: QueueItem, now: datetime) -> None:
    """A reopened item gets its tier's time again, from now (``due_at - received_at`` is the
    tier's time: intake and a tier change both set it so), and may be flagged "due soon" again.
    An earlier escalation is not repeated (one per item, ``triage.sla``)."""
    window = item.due_at - item.received_at
    item.due_at = max(item.due_at, now + window)
    item.warned_at = None


def reopen_reviews_due(session: Session, now: datetime) -> int:
    """Put back in the queue every "monitor" item whose review date has come; returns how
    many. Safe to run from several workers at once: each reopening is conditional."""
    due = session.scalars(
        select(QueueItem).where(
            QueueItem.status == "decided",
            QueueItem.disposition == "monitor",
            QueueItem.review_on.is_not(None),
            QueueItem.review_on <= now,
        )
    ).all()
    count = 0
    for item in due:
        window = item.due_at - item.received_at
        result = session.execute(
            update(QueueItem)
            .where(QueueItem.id == item.id, QueueItem.status == "decided")
            .values(
                status="in_review",
                claimed_by_id=None,
                claim_expires_at=None,
                due_at=max(item.due_at, now + window),
                warned_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            count += 1
            record(
                session,
                "reopened",
                item_id=item.id,
                detail={"from": "decided", "reason": "review_due"},
                at=now,
            )
            session.refresh(item)
    return count
