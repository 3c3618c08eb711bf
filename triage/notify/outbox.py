"""The notification outbox: a ``Notification`` row is written in the same transaction as the
alert that needs it, and delivered only after that commits (an RQ job right away, and the
scheduler's tick for anything due: retries, or a job lost with Redis).

Delivery is at-least-once and never parallel: an attempt first claims the row with a
compare-and-set on its attempt counter (one worker wins, on every backend) and moves its next
attempt time forward by the back-off, then sends outside any transaction, then records the
outcome. A worker killed mid-send leaves the row pending; it is tried again after the back-off.
After ``settings.notify_max_attempts`` failed attempts the notification is marked failed, which
officers see on the item's page.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from tipline.db import transaction
from tipline.queue_contract import enqueue_notification_delivery
from tipline.settings import Settings
from triage.audit import record
from triage.models import Alert, Notification, QueueItem, Unit, UnitContact
from triage.notify import message
from triage.notify.channels import DeliveryError, channel_for
from triage.notify.message import Notice
from triage.notify.tokens import ack_token, token_hash

log = logging.getLogger("triage.notify")

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
BATCH = 200

SENT = "sent"
RETRY = "retry"
FAILED = "failed"
SKIPPED = "skipped"  # not due, already done, or another worker holds it


def retry_delay(attempt: int) -> timedelta:
    """How long after attempt number ``attempt`` (1, 2...) the next one may start:
    30 s, 1 min, 2 min, 4 min... at most an hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS))


def notice_kind(alert: Alert, contact_purpose: str | None) -> str:
    if alert.kind == "life_safety":
        return message.UNANSWERED if contact_purpose == "supervisor" else message.LIFE_SAFETY
    return message.SLA_BREACH if alert.kind == "sla_breach" else message.SLA_WARNING


def queue_notification(
    session: Session, alert: Alert, contact: UnitContact, now: datetime
) -> Notification:
    """Add a pending notification of ``alert`` to ``contact`` (in the caller's transaction).

    Life-safety notifications get an acknowledgement link: its token's hash is stored when the
    first attempt is claimed (the sender holds the key the token is derived with).
    """
    notification_id = str(uuid.uuid4())
    notification = Notification(
        id=notification_id,
        alert_id=alert.id,
        contact_id=contact.id,
        channel=contact.channel,
        address=contact.address,
        status="pending",
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(notification)
    session.flush()
    return notification


def build_notice(session: Session, notification: Notification, settings: Settings) -> Notice:
    """Everything a notification says, from the item's sorting fields only."""
    alert = notification.alert
    item = session.get(QueueItem, alert.item_id)
    unit = session.get(Unit, alert.unit_id)
    assert item is not None and unit is not None
    contact = session.get(UnitContact, notification.contact_id) if notification.contact_id else None
    base = settings.triage_url.rstrip("/")
    ack_url = None
    if notification.ack_token_hash is not None:
        ack_url = f"{base}/ack/{ack_token(_token_secret(settings), notification.id)}"
    return Notice(
        notification_id=notification.id,
        kind=notice_kind(alert, contact.purpose if contact else None),
        unit=unit.name,
        item_id=item.id,
        tier=item.tier,
        due_at=item.due_at,
        item_url=f"{base}/items/{item.id}",
        ack_url=ack_url,
    )


@dataclass(frozen=True)
class _Claim:
    notice: Notice
    channel: str
    address: str
    attempt: int
    item_id: int


def _claim(
    sessions: sessionmaker[Session], settings: Settings, notification_id: str, now: datetime
) -> _Claim | None:
    """Take the next attempt of a due notification, or None if it is not ours to send."""
    with transaction(sessions) as session:
        notification = session.get(Notification, notification_id)
        if notification is None or notification.status != "pending":
            return None
        if notification.next_attempt_at is not None and notification.next_attempt_at > now:
            return None
        seen = notification.attempts
        claimed = session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.status == "pending",
                Notification.attempts == seen,
            )
            .values(attempts=seen + 1, next_attempt_at=now + retry_delay(seen + 1))
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return None  # another worker took this attempt
        if notification.alert.kind == "life_safety" and notification.ack_token_hash is None:
            token = ack_token(_token_secret(settings), notification.id)
            notification.ack_token_hash = token_hash(token)
        notice = build_notice(session, notification, settings)
        return _Claim(notice, notification.channel, notification.address, seen + 1, notice.item_id)


def deliver_one(
    sessions: sessionmaker[Session], settings: Settings, notification_id: str, now: datetime
) -> str:
    """Try to send one notification if it is due; returns SENT, RETRY, FAILED or SKIPPED."""
    claim = _claim(sessions, settings, notification_id, now)
    if claim is None:
        return SKIPPED
    sender = channel_for(claim.channel, settings)
    error: str | None = None
    try:
        sender.send(claim.notice, claim.address)
    except DeliveryError as exc:
        error = str(exc)[:300]
    except Exception as exc:  # a sender bug must not leave the row claimed forever
        error = f"{sender.name}: {type(exc).__name__}"
    with transaction(sessions) as session:
        notification = session.get(Notification, notification_id)
        assert notification is not None
        detail = {
            "notification": notification_id,
            "kind": claim.notice.kind,
            "channel": sender.name,
            "attempt": claim.attempt,
        }
        if error is None:
            notification.status = "sent"
            notification.sent_at = now
            notification.last_error = None
            record(session, "notification-sent", item_id=claim.item_id, detail=detail, at=now)
            log.info(
                "notification %s sent (%s, attempt %d)", notification_id, sender.name, claim.attempt
            )
            return SENT
        notification.last_error = error
        if claim.attempt >= settings.notify_max_attempts:
            notification.status = "failed"
            notification.next_attempt_at = None
            record(
                session,
                "notification-failed",
                item_id=claim.item_id,
                detail=detail | {"error": error},
                at=now,
            )
            log.error(
                "notification %s failed after %d attempts: %s",
                notification_id,
                claim.attempt,
                error,
            )
            return FAILED
        log.warning(
            "notification %s attempt %d failed (%s); next at %s",
            notification_id,
            claim.attempt,
            error,
            notification.next_attempt_at,
        )
        return RETRY


def due_ids(session: Session, now: datetime, limit: int = BATCH) -> list[str]:
    return list(
        session.scalars(
            select(Notification.id)
            .where(
                Notification.status == "pending",
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
            )
            .order_by(Notification.next_attempt_at, Notification.created_at)
            .limit(limit)
        )
    )


def deliver_due(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> int:
    """Send every notification due at ``now`` (the scheduler's step); returns how many went."""
    with sessions() as session:
        ids = due_ids(session, now)
    return sum(deliver_one(sessions, settings, i, now) == SENT for i in ids)


def pending_ids_for_item(session: Session, item_id: int) -> list[str]:
    """The item's notifications not sent yet (to hand to ``enqueue_delivery`` after commit)."""
    return list(
        session.scalars(
            select(Notification.id)
            .join(Alert, Alert.id == Notification.alert_id)
            .where(Alert.item_id == item_id, Notification.status == "pending")
        )
    )


def enqueue_delivery(redis: Redis, notification_ids: list[str]) -> None:
    """After commit: ask the intake worker to send these now. If Redis is down the scheduler's
    tick sends them anyway, so a failure here is only logged."""
    if not notification_ids:
        return
    try:
        enqueue_notification_delivery(redis, notification_ids)
    except Exception as exc:  # the tick delivers them regardless
        log.warning("notification delivery not enqueued (%s); the scheduler will send", exc)


def failures_for_item(session: Session, item_id: int) -> list[Notification]:
    """Notifications about the item that could not be delivered (shown on its page)."""
    return list(
        session.scalars(
            select(Notification)
            .join(Alert, Alert.id == Notification.alert_id)
            .where(Alert.item_id == item_id, Notification.status == "failed")
            .order_by(Notification.created_at)
        )
    )


def _token_secret(settings: Settings) -> str:
    if not settings.triage_secret_key:
        raise RuntimeError("TRIAGE_SECRET_KEY is needed for acknowledgement links")
    return settings.triage_secret_key
