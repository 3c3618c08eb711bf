"""Questions to reporters: sealing and storing, delivery over queue ``portal``, and the relay.

Like the portal's outbox, the database is the source of truth and Redis only a transport:

1. ``send_question`` stores the question (sealed for the reporter, and a unit copy) in the
   caller's transaction. Nothing is enqueued before that commits.
2. ``deliver`` then enqueues it (``portal.jobs.store_message``) and the report's coarse status.
   If Redis is down the question is still kept; the relay sends it.
3. ``relay`` (run by the intake worker) re-sends every question the portal has not answered for
   whose last send is older than the threshold. The portal stores by message id, so sending
   twice is harmless.
4. ``record_delivery`` (the ``record_message_delivery`` job) records the portal's answer: in the
   mailbox, or no mailbox (the reporter's code expired; nobody can read it any more).

Logs carry message and envelope ids only, never text.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tipline import followup_schema, report_schema
from tipline.db import transaction
from tipline.envelope import EnvelopeError
from tipline.queue_contract import (
    MESSAGE_NO_MAILBOX,
    MESSAGE_OUTCOMES,
    MESSAGE_STORED,
    enqueue_message,
    enqueue_report_status,
)
from triage.audit import record
from triage.conversation import TO_REPORTER, refresh_flags
from triage.models import Message, Officer, QueueItem, utcnow
from triage.sealing import SealingError, UnitCrypto

log = logging.getLogger("triage.messages")

RELAY_BATCH = 200


class CannotMessage(SealingError):
    """This item's reporter cannot be sent a question; the message says why, plainly."""


def reporter_status_of(item_status: str) -> str:
    """The coarse status the reporter sees (``tipline.queue_contract.REPORT_STATUSES``): the
    unit is working on it until it is closed; nothing about the decision."""
    return "closed" if item_status == "closed" else "in_review"


def send_question(
    session: Session,
    crypto: UnitCrypto,
    item: QueueItem,
    officer: Officer,
    text: str,
    now: datetime,
) -> Message:
    """Seal and store a question for the item's reporter; flushes, never commits.

    Raises ``CannotMessage`` if the reporter cannot be reached (anonymous without a receipt key,
    receipt expired, report or unit key unavailable).
    """
    if item.reporter_unreachable:
        raise CannotMessage(
            "The reporter's receipt code has expired, so messages can no longer reach them."
        )
    try:
        report = crypto.open_report(item.sealed_body)
    except (EnvelopeError, report_schema.ReportInvalid):
        raise CannotMessage(
            "This report cannot be opened with the keys held here, so its reporter cannot be"
            " messaged."
        ) from None
    if "reply_to" not in report:
        raise CannotMessage(
            "This reporter cannot be messaged: the report came without a receipt code to"
            " write back to."
        )
    message_id = str(uuid.uuid4())
    document: dict[str, Any] = {
        "schema": followup_schema.MESSAGE_SCHEMA_ID,
        "kind": "message",
        "message_id": message_id,
        "sent_at": now.isoformat(),
        "text": text,
    }
    try:
        sealed = crypto.seal_question(document, report["reply_to"])
    except SealingError as exc:
        raise CannotMessage(f"This reporter cannot be messaged: {exc}.") from None
    message = Message(
        id=message_id,
        item_id=item.id,
        direction=TO_REPORTER,
        created_at=now,
        officer_id=officer.id,
        unit_copy=sealed.unit_copy,
        key_id=sealed.unit_key_id,
        outbound=sealed.for_reporter,
        send_count=0,
    )
    session.add(message)
    if item.status == "new":
        item.status = "in_review"
    refresh_flags(session, item)
    record(
        session,
        "message-sent",
        officer_id=officer.id,
        item_id=item.id,
        detail={"message": message_id},
        at=now,
    )
    return message


def deliver(
    sessions: sessionmaker[Session],
    redis_conn: Redis,
    message_id: str,
    now: datetime | None = None,
) -> bool:
    """Enqueue one committed question (and the report's status) for the portal.

    False if Redis is unavailable: the question stays in the database and the relay sends it.
    """
    with sessions() as session:
        row = session.execute(
            select(Message.outbound, Message.send_count, QueueItem.envelope_id, QueueItem.status)
            .join(QueueItem, QueueItem.id == Message.item_id)
            .where(Message.id == message_id)
        ).one()
    outbound, attempt, report_envelope_id, status = row
    return _send(
        sessions, redis_conn, message_id, report_envelope_id, outbound, attempt, status, now
    )


def _send(
    sessions: sessionmaker[Session],
    redis_conn: Redis,
    message_id: str,
    report_envelope_id: str,
    outbound: bytes,
    attempt: int,
    item_status: str,
    now: datetime | None,
) -> bool:
    now = now or utcnow()
    try:
        enqueue_message(redis_conn, message_id, report_envelope_id, outbound, attempt=attempt)
    except RedisError:
        log.warning("message %s not enqueued (Redis unavailable); relay will send it", message_id)
        return False
    try:
        with transaction(sessions) as session:
            session.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(last_sent_at=now, send_count=Message.send_count + 1)
            )
    except SQLAlchemyError:
        # It is queued; at worst the relay sends it again (the portal stores by message id).
        log.warning("message %s enqueued but not recorded as such", message_id)
    try:
        status = reporter_status_of(item_status)
        enqueue_report_status(redis_conn, report_envelope_id, status, now.isoformat())
    except RedisError:
        log.warning("status of report %s not sent (Redis unavailable)", report_envelope_id)
    return True


def relay(
    sessions: sessionmaker[Session],
    redis_conn: Redis,
    older_than_seconds: int,
    now: datetime | None = None,
) -> int:
    """Re-send questions the portal has not answered for, last sent before the threshold.

    Returns how many were sent. A Redis error stops the run (raised) after recording what was
    already sent.
    """
    now = now or utcnow()
    threshold = now - timedelta(seconds=older_than_seconds)
    sent = 0
    while True:
        with sessions() as session:
            rows = session.execute(
                select(
                    Message.id,
                    QueueItem.envelope_id,
                    Message.outbound,
                    Message.send_count,
                    QueueItem.status,
                )
                .join(QueueItem, QueueItem.id == Message.item_id)
                .where(
                    Message.direction == TO_REPORTER,
                    Message.delivery_outcome.is_(None),
                    Message.outbound.is_not(None),
                    or_(Message.last_sent_at.is_(None), Message.last_sent_at < threshold),
                )
                .order_by(Message.created_at)
                .limit(RELAY_BATCH)
            ).all()
        for message_id, report_envelope_id, outbound, attempt, status in rows:
            # Raise on a Redis error: the next run carries on from here.
            enqueue_message(redis_conn, message_id, report_envelope_id, outbound, attempt=attempt)
            with transaction(sessions) as session:
                session.execute(
                    update(Message)
                    .where(Message.id == message_id)
                    .values(last_sent_at=now, send_count=Message.send_count + 1)
                )
            enqueue_report_status(
                redis_conn, report_envelope_id, reporter_status_of(status), now.isoformat()
            )
            sent += 1
            log.info("relayed message %s", message_id)
        if len(rows) < RELAY_BATCH:
            return sent


def record_delivery(session: Session, message_id: str, outcome: str, now: datetime) -> bool:
    """Record the portal's answer for a question. Idempotent; False for unknown ids/outcomes."""
    if outcome not in MESSAGE_OUTCOMES:
        log.warning("ignored delivery report for message %s: unknown outcome", message_id)
        return False
    message = session.get(Message, message_id)
    if message is None or message.direction != TO_REPORTER:
        log.warning("delivery report for unknown message %s ignored", message_id)
        return False
    if message.delivery_outcome == outcome:
        return True
    message.delivery_outcome = outcome
    if outcome == MESSAGE_STORED and message.delivered_at is None:
        message.delivered_at = now
    item = session.get(QueueItem, message.item_id)
    assert item is not None
    refresh_flags(session, item)
    if outcome == MESSAGE_NO_MAILBOX:
        record(session, "reporter-unreachable", item_id=item.id, detail={"message": message_id})
        log.info("message %s: the reporter's mailbox no longer exists", message_id)
    return True
