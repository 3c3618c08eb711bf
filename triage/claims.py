"""Claims: one officer works an item at a time, under a lease that runs out.

A claim is two columns of the item (``claimed_by_id``, ``claim_expires_at``). Taking one is a
single conditional ``UPDATE ... WHERE claimed_by_id IS NULL OR claim_expires_at <= now``
checked by its row count, so two officers can never hold the same item, on any backend: the
database decides who won. On PostgreSQL ``claim_next`` first locks its candidate with
``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent officers go to different items instead of
queueing on the same row; SQLite has a single writer, and a lost race simply moves on to the
next candidate.

The first claim of an item starts its review: status ``new`` -> ``in_review`` and
``first_reviewed_at`` (what the dashboard measures). A lease that runs out puts the item back
in the queue: ``claim_next`` takes lease-expired items as if unclaimed, and ``expire_claims``
(run by the periodic scheduler) clears them so the queue shows them as free.

Every function flushes and never commits; every claim, renewal, release, assignment and expiry
is an audit event (ids and times only).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from triage import policy, workflow_hooks
from triage.audit import record
from triage.models import OPEN_STATUSES, Officer, QueueItem

# How many candidates ``claim_next`` reads at a time on SQLite (each is tried in turn).
BATCH = 20
# After this many rounds of lost races, ``claim_next`` gives up and says nothing is free.
MAX_ROUNDS = 50


class ClaimError(Exception):
    """The claim operation is not possible as asked; the message says why (no content)."""


class NotClaimable(ClaimError):
    """Someone else holds a live claim, or the item is not open."""


class NotHolder(ClaimError):
    """The officer does not hold the claim they tried to renew or release."""


def lease_end(now: datetime, minutes: int) -> datetime:
    if minutes < 1:
        raise ValueError("a lease lasts at least one minute")
    return now + timedelta(minutes=minutes)


def is_free(now: datetime) -> ColumnElement[bool]:
    """Nobody holds the item, or the holder's lease has run out."""
    return or_(
        QueueItem.claimed_by_id.is_(None),
        QueueItem.claim_expires_at.is_(None),
        QueueItem.claim_expires_at <= now,
    )


def holds_claim(item: QueueItem, officer: Officer, now: datetime) -> bool:
    """The officer holds a live claim on the item."""
    return (
        item.claimed_by_id == officer.id
        and item.claim_expires_at is not None
        and item.claim_expires_at > now
    )


def live_holder_id(item: QueueItem, now: datetime) -> int | None:
    """Who holds a live claim on the item, if anyone."""
    if item.claimed_by_id is None or item.claim_expires_at is None:
        return None
    return item.claimed_by_id if item.claim_expires_at > now else None


def _take(session: Session, item_id: int, officer: Officer, now: datetime, until: datetime) -> bool:
    """The conditional UPDATE: take the item if it is open, of the officer's unit and free."""
    stamp = literal(now, QueueItem.first_reviewed_at.type)
    result = session.execute(
        update(QueueItem)
        .where(
            QueueItem.id == item_id,
            QueueItem.unit_id == officer.unit_id,
            QueueItem.status.in_(OPEN_STATUSES),
            is_free(now),
        )
        .values(
            claimed_by_id=officer.id,
            claim_expires_at=until,
            status=case((QueueItem.status == "new", literal("in_review")), else_=QueueItem.status),
            first_reviewed_at=func.coalesce(QueueItem.first_reviewed_at, stamp),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _reload(session: Session, item_id: int) -> QueueItem:
    item = session.get(QueueItem, item_id, populate_existing=True)
    assert item is not None
    return item


def _candidates(session: Session, officer: Officer, now: datetime) -> list[int]:
    """The ids of the most urgent free open items of the officer's unit, best first.

    One query per open status, each walking the ``(unit_id, status, tier, due_at)`` index in
    order and stopping early, then merged here: a single ``status IN (...)`` query would sort
    every open item of the unit first. On PostgreSQL each query takes only the first row
    nobody else is locking (``FOR UPDATE SKIP LOCKED``), so officers pressing "claim next"
    together fan out over different items instead of queueing behind one row.
    """
    order = (QueueItem.tier, QueueItem.due_at, QueueItem.id)
    postgres = session.get_bind().dialect.name == "postgresql"
    rows: list[tuple[str, datetime, int]] = []
    for status in OPEN_STATUSES:
        query = (
            select(*order)
            .where(
                QueueItem.unit_id == officer.unit_id,
                QueueItem.status == status,
                is_free(now),
            )
            .order_by(*order)
        )
        query = query.limit(1).with_for_update(skip_locked=True) if postgres else query.limit(BATCH)
        rows += [(tier, due_at, item_id) for tier, due_at, item_id in session.execute(query)]
    rows.sort()
    return [item_id for _, _, item_id in rows]


def claim_next(session: Session, officer: Officer, now: datetime, minutes: int) -> QueueItem | None:
    """Claim the most urgent free open item of the officer's unit (tier, then due time, the
    queue's order); None if there is none. Concurrent callers never get the same item: taking
    it is a conditional UPDATE checked by its row count, and a lost race moves on."""
    until = lease_end(now, minutes)
    for _ in range(MAX_ROUNDS):
        ids = _candidates(session, officer, now)
        if not ids:
            return None
        for item_id in ids:
            if _take(session, item_id, officer, now, until):
                item = _reload(session, item_id)
                _audit_claim(session, item, officer, now, via="next")
                return item
    return None


def claim_item(
    session: Session, item: QueueItem, officer: Officer, now: datetime, minutes: int
) -> QueueItem:
    """Claim this item (from its page). Raises ``NotClaimable`` if someone else holds a live
    claim or it is not open. Claiming an item one already holds renews the lease."""
    if not policy.can_work_item(officer, item):
        raise NotClaimable("this item is not in your unit's queue")
    if item.claimed_by_id == officer.id and item.status in OPEN_STATUSES:
        renew_claim(session, item, officer, now, minutes)
        return item
    if not _take(session, item.id, officer, now, lease_end(now, minutes)):
        current = _reload(session, item.id)
        if current.status not in OPEN_STATUSES:
            raise NotClaimable("only a new or in-review item can be claimed; reopen it first")
        raise NotClaimable("another officer holds this item")
    item = _reload(session, item.id)
    _audit_claim(session, item, officer, now, via="item")
    return item


def renew_claim(
    session: Session, item: QueueItem, officer: Officer, now: datetime, minutes: int
) -> None:
    """Extend the officer's own lease from now. A lease that ran out can still be renewed as
    long as nobody else has taken the item."""
    until = lease_end(now, minutes)
    result = session.execute(
        update(QueueItem)
        .where(
            QueueItem.id == item.id,
            QueueItem.claimed_by_id == officer.id,
            QueueItem.status.in_(OPEN_STATUSES),
        )
        .values(claim_expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotHolder("you do not hold this item (any more)")
    _reload(session, item.id)
    record(
        session,
        "claim-renewed",
        officer_id=officer.id,
        item_id=item.id,
        detail={"until": until.isoformat()},
        at=now,
    )


def release_claim(
    session: Session, item: QueueItem, officer: Officer, now: datetime, why: str = "released"
) -> None:
    """Give the item back to the queue. The holder releases their own claim; a supervisor
    releases anyone's. ``why`` is a short code for the audit ("released", "decided")."""
    holder = item.claimed_by_id
    if holder is None:
        raise NotHolder("nobody holds this item")
    if holder != officer.id and not policy.can_assign(officer, item):
        raise NotHolder("only the officer holding the item or a supervisor can release it")
    _clear(session, item.id, holder)
    _reload(session, item.id)
    record(
        session,
        "claim-released",
        officer_id=officer.id,
        item_id=item.id,
        detail={"holder": holder, "why": why},
        at=now,
    )


def assign(
    session: Session,
    item: QueueItem,
    by_officer: Officer,
    to_officer: Officer,
    now: datetime,
    minutes: int,
) -> None:
    """A supervisor gives the item to an officer of the unit (taking it from whoever held it);
    the lease starts now. Starts the review like a first claim."""
    if not policy.can_assign(by_officer, item):
        raise ClaimError("only a supervisor of the item's unit can assign it")
    if not to_officer.active or to_officer.unit_id != item.unit_id:
        raise ClaimError("assign to an active officer of the item's unit")
    if item.status not in OPEN_STATUSES:
        raise NotClaimable("only a new or in-review item can be assigned; reopen it first")
    previous = item.claimed_by_id
    until = lease_end(now, minutes)
    item.claimed_by_id = to_officer.id
    item.claim_expires_at = until
    if item.status == "new":
        item.status = "in_review"
    if item.first_reviewed_at is None:
        item.first_reviewed_at = now
    session.flush()
    record(
        session,
        "assigned",
        officer_id=by_officer.id,
        item_id=item.id,
        detail={"to": to_officer.id, "from": previous, "until": until.isoformat()},
        at=now,
    )
    workflow_hooks.on_claimed(session, item, to_officer, now)


def expire_claims(session: Session, now: datetime) -> int:
    """Release every claim whose lease has run out (the item goes back to the queue); returns
    how many. Safe to run from several workers at once: each release is conditional."""
    expired = session.execute(
        select(QueueItem.id, QueueItem.claimed_by_id).where(
            QueueItem.claimed_by_id.is_not(None),
            or_(QueueItem.claim_expires_at.is_(None), QueueItem.claim_expires_at <= now),
        )
    ).all()
    count = 0
    for item_id, holder in expired:
        result = session.execute(
            update(QueueItem)
            .where(
                QueueItem.id == item_id,
                QueueItem.claimed_by_id == holder,
                or_(QueueItem.claim_expires_at.is_(None), QueueItem.claim_expires_at <= now),
            )
            .values(claimed_by_id=None, claim_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            count += 1
            record(session, "claim-expired", item_id=item_id, detail={"holder": holder}, at=now)
    if count:
        for item_id, _ in expired:
            cached = session.get(QueueItem, item_id)
            if cached is not None:
                session.refresh(cached)
    return count


def clear_for_decision(session: Session, item: QueueItem, officer: Officer, now: datetime) -> None:
    """The item was decided: whoever held it no longer does (audited as a release)."""
    holder = item.claimed_by_id
    if holder is None:
        return
    item.claimed_by_id = None
    item.claim_expires_at = None
    session.flush()
    record(
        session,
        "claim-released",
        officer_id=officer.id,
        item_id=item.id,
        detail={"holder": holder, "why": "decided"},
        at=now,
    )


def _clear(session: Session, item_id: int, holder: int) -> None:
    result = session.execute(
        update(QueueItem)
        .where(QueueItem.id == item_id, QueueItem.claimed_by_id == holder)
        .values(claimed_by_id=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotHolder("the claim changed meanwhile; reload the item")


def _audit_claim(
    session: Session, item: QueueItem, officer: Officer, now: datetime, via: str
) -> None:
    until = item.claim_expires_at
    record(
        session,
        "claimed",
        officer_id=officer.id,
        item_id=item.id,
        detail={"via": via, "until": until.isoformat() if until else None},
        at=now,
    )
    workflow_hooks.on_claimed(session, item, officer, now)
