"""Paging the on-call list for a life-safety (P1) item until a person acknowledges.

- ``start_life_safety`` creates the item's one ``life_safety`` alert and notifies the unit's
  first active on-call contact (``UnitContact.purpose == "on_call"``, by position).
- ``advance`` (the scheduler's step) goes on to the next active on-call contact when nobody
  acknowledged within ``settings.page_ack_minutes``. After the last one the alert is
  *exhausted*: the unit's supervisor contacts are all notified at once, and paging stops (the
  item page keeps showing that nobody acknowledged until someone does). A unit without any
  on-call contact goes straight to its supervisors.
- ``acknowledge`` (the link in the page, the button on the item page, or claiming the item)
  stops paging; it is audited with how it was done.
- An item decided or closed while still paged stops being paged (``done``).

Each change of an alert is a compare-and-set on its row (status and position), so two
schedulers ticking at once page each contact once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tipline.db import transaction
from tipline.settings import Settings
from triage.audit import record
from triage.models import OPEN_STATUSES, Alert, Notification, Officer, QueueItem, UnitContact
from triage.notify.outbox import queue_notification

log = logging.getLogger("triage.paging")

LIFE_SAFETY = "life_safety"
ACK_VIA = ("link", "item-page", "claim")
# ``TIPLINE_PAGE_ACK_MINUTES``'s default, for callers that have no settings at hand.
DEFAULT_ACK_MINUTES = 5


class AlreadyPaged(Exception):
    """The item already has its life-safety alert."""


def on_call(session: Session, unit_id: int) -> list[UnitContact]:
    """The unit's active on-call list, in the order it is worked."""
    return _contacts(session, unit_id, "on_call")


def supervisors(session: Session, unit_id: int) -> list[UnitContact]:
    """The unit's active supervisor contacts (escalations go to all of them)."""
    return _contacts(session, unit_id, "supervisor")


def _contacts(session: Session, unit_id: int, purpose: str) -> list[UnitContact]:
    return list(
        session.scalars(
            select(UnitContact)
            .where(
                UnitContact.unit_id == unit_id,
                UnitContact.purpose == purpose,
                UnitContact.active.is_(True),
            )
            .order_by(UnitContact.position, UnitContact.id)
        )
    )


def life_safety_alert(session: Session, item_id: int) -> Alert | None:
    return session.scalars(
        select(Alert).where(Alert.item_id == item_id, Alert.kind == LIFE_SAFETY)
    ).one_or_none()


def start_life_safety(
    session: Session, item: QueueItem, now: datetime, settings: Settings | None = None
) -> Alert | None:
    """Start paging for ``item`` in the caller's transaction; the caller hands
    ``notify.outbox.pending_ids_for_item`` to ``notify.enqueue_delivery`` after commit.

    Returns the new alert, or None if the item already has one (paging starts once per item;
    a concurrent start fails on the unique index at flush and the caller's transaction rolls
    back).
    """
    if life_safety_alert(session, item.id) is not None:
        return None
    alert = Alert(
        item_id=item.id,
        unit_id=item.unit_id,
        kind=LIFE_SAFETY,
        status="paging",
        created_at=now,
        position=0,
        next_step_at=now + timedelta(minutes=_ack_minutes(settings)),
    )
    session.add(alert)
    session.flush()
    contacts = on_call(session, item.unit_id)
    if contacts:
        first = contacts[0]
        queue_notification(session, alert, first, now)
        alert.position = first.position
        record(
            session,
            "page-started",
            item_id=item.id,
            detail={"alert": alert.id, "contact": first.id, "position": first.position},
            at=now,
        )
        log.warning("life-safety item %s: paging on-call contact #%s", item.id, first.id)
    else:
        _exhaust(session, alert, now, reason="no-on-call-contact")
    session.flush()
    return alert


def _ack_minutes(settings: Settings | None) -> int:
    return settings.page_ack_minutes if settings is not None else DEFAULT_ACK_MINUTES


def _exhaust(session: Session, alert: Alert, now: datetime, reason: str) -> None:
    """Nobody (more) on the on-call list: tell every supervisor contact; paging stops."""
    alert.status = "exhausted"
    alert.next_step_at = None
    notified = []
    for contact in supervisors(session, alert.unit_id):
        queue_notification(session, alert, contact, now)
        notified.append(contact.id)
    record(
        session,
        "page-exhausted",
        item_id=alert.item_id,
        detail={"alert": alert.id, "reason": reason, "supervisors": len(notified)},
        at=now,
    )
    if notified:
        log.error("life-safety item %s: %s; supervisors notified", alert.item_id, reason)
    else:
        log.error(
            "life-safety item %s: %s and the unit has no supervisor contact; nobody was paged",
            alert.item_id,
            reason,
        )


def advance(session: Session, alert: Alert, now: datetime, settings: Settings) -> str | None:
    """One step for an unacknowledged alert whose wait is over: page the next on-call contact
    ("paged"), or exhaust the list ("exhausted"), or stop because the item is no longer open
    ("done"). None if it was not due or another scheduler took this step first (the caller
    then rolls back)."""
    if alert.status != "paging" or alert.next_step_at is None or alert.next_step_at > now:
        return None
    item = session.get(QueueItem, alert.item_id)
    seen_position = alert.position
    if item is None or item.status not in OPEN_STATUSES or item.unit_id != alert.unit_id:
        outcome, values = "done", {"status": "done", "next_step_at": None}
    else:
        following = [c for c in on_call(session, alert.unit_id) if c.position > seen_position]
        if following:
            outcome = "paged"
            values = {
                "position": following[0].position,
                "next_step_at": now + timedelta(minutes=settings.page_ack_minutes),
            }
        else:
            outcome, values = "exhausted", {"status": "exhausted", "next_step_at": None}
    taken = session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status == "paging", Alert.position == seen_position)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    session.refresh(alert)
    if outcome == "paged":
        contact = following[0]
        queue_notification(session, alert, contact, now)
        record(
            session,
            "page-advanced",
            item_id=alert.item_id,
            detail={"alert": alert.id, "contact": contact.id, "position": contact.position},
            at=now,
        )
        log.warning(
            "life-safety item %s not acknowledged: paging contact #%s", alert.item_id, contact.id
        )
    elif outcome == "exhausted":
        # status is already "exhausted"; notify the supervisors
        _exhaust(session, alert, now, reason="on-call list exhausted")
    else:
        record(session, "page-stopped", item_id=alert.item_id, detail={"alert": alert.id}, at=now)
    return outcome


def advance_due(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> int:
    """The scheduler's step: advance every alert whose wait is over, one transaction each;
    returns how many contacts were paged or lists exhausted."""
    with sessions() as session:
        ids = list(
            session.scalars(
                select(Alert.id).where(
                    Alert.kind == LIFE_SAFETY,
                    Alert.status == "paging",
                    Alert.next_step_at <= now,
                )
            )
        )
    steps = 0
    for alert_id in ids:
        with transaction(sessions) as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                continue
            outcome = advance(session, alert, now, settings)
            if outcome is None:
                session.rollback()
            elif outcome != "done":
                steps += 1
    return steps


def acknowledge(
    session: Session, item: QueueItem, officer: Officer, now: datetime, via: str
) -> Alert | None:
    """Stop paging for ``item``: ``officer`` has it (``via`` "link", "item-page" or "claim").

    Returns the alert acknowledged, or None if nothing was being paged (no alert, or it was
    already acknowledged: the first acknowledgement is the one kept). Audited either way
    only when something changed. The caller commits.
    """
    if via not in ACK_VIA:
        raise ValueError(f"unknown acknowledgement route {via!r}")
    alert = life_safety_alert(session, item.id)
    if alert is None or alert.status not in ("paging", "exhausted"):
        return None
    taken = session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status.in_(("paging", "exhausted")))
        .values(
            status="acknowledged",
            next_step_at=None,
            acknowledged_at=now,
            acknowledged_by_id=officer.id,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    session.refresh(alert)
    record(
        session,
        "page-acknowledged",
        officer_id=officer.id,
        item_id=item.id,
        detail={"alert": alert.id, "via": via},
        at=now,
    )
    log.info("life-safety item %s acknowledged (%s)", item.id, via)
    return alert


def notification_by_token_hash(session: Session, digest: str) -> Notification | None:
    return session.scalars(
        select(Notification).where(Notification.ack_token_hash == digest)
    ).one_or_none()
