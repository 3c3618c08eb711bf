"""The transactional outbox: a report is durable here before the reporter sees "received".

1. ``accept_report`` seals the document and commits the envelope and its receipt in one
   transaction. Only then does it try to put the envelope on the ``intake`` queue. If Redis is
   down the report is still accepted: the relay sends it later.
2. ``relay`` (run by the portal worker every few seconds) re-enqueues every envelope that triage
   has not acknowledged and that was never enqueued or was last enqueued too long ago. Triage's
   ingest is idempotent by envelope id, so sending twice is harmless; not sending is not.
3. ``record_acknowledgement`` (called by the ``portal.jobs`` job) marks an envelope as held by
   triage, which stops the relay from re-sending it.

Logs carry envelope ids only, never content, receipts or addresses.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from portal.models import OutboxEnvelope, Receipt, utcnow
from portal.receipts import ReceiptKeys
from portal.sealing import ReportSealer
from tipline.db import transaction
from tipline.queue_contract import ACK_OUTCOMES, enqueue_ingest

log = logging.getLogger("portal.outbox")

PURPOSE_REPORT = "report"
RELAY_BATCH = 500


def accept_report(
    session_factory: sessionmaker[Session],
    sealer: ReportSealer,
    document: dict[str, Any],
    receipt: ReceiptKeys,
    redis_conn: Redis,
    now: datetime | None = None,
) -> str:
    """Seal and durably accept a report; then try to enqueue it. Returns the envelope id.

    Raises ``report_schema.ReportInvalid`` or ``tipline.keys.KeyProblem`` (nothing stored) or a
    database error (nothing stored). Once this returns, the report is accepted, whether or not
    Redis took it.
    """
    envelope_id = document["envelope_id"]
    # Readable only by the unit's triage side.
    sealed = sealer.seal_report(document)
    now = now or utcnow()
    with transaction(session_factory) as session:
        session.add(
            OutboxEnvelope(
                id=envelope_id,
                purpose=PURPOSE_REPORT,
                envelope=sealed,
                created_at=now,
                enqueue_count=0,
            )
        )
        session.flush()  # the receipt refers to the envelope
        session.add(
            Receipt(
                lookup_id=receipt.lookup_id,
                public_key=receipt.public_key,
                envelope_id=envelope_id,
                created_at=now,
                last_activity_at=now,
            )
        )
    send(session_factory, redis_conn, envelope_id, sealed, attempt=0)
    return envelope_id


def send(
    session_factory: sessionmaker[Session],
    redis_conn: Redis,
    envelope_id: str,
    sealed: bytes,
    attempt: int,
    now: datetime | None = None,
) -> bool:
    """Enqueue one committed envelope for intake and record it. False if it must wait.

    ``attempt`` (the envelope's ``enqueue_count`` so far) gives each delivery its own job id.
    """
    try:
        enqueue_ingest(redis_conn, envelope_id, sealed, attempt=attempt)
    except RedisError:
        log.warning("envelope %s not enqueued (Redis unavailable); relay will send it", envelope_id)
        return False
    try:
        with transaction(session_factory) as session:
            session.execute(
                update(OutboxEnvelope)
                .where(OutboxEnvelope.id == envelope_id)
                .values(
                    last_enqueued_at=now or utcnow(),
                    enqueue_count=OutboxEnvelope.enqueue_count + 1,
                )
            )
    except SQLAlchemyError:
        # The envelope is queued; at worst the relay sends it again (ingest is idempotent).
        log.warning("envelope %s enqueued but not recorded as such", envelope_id)
    return True


def relay(
    session_factory: sessionmaker[Session],
    redis_conn: Redis,
    older_than_seconds: int,
    now: datetime | None = None,
) -> int:
    """Re-enqueue unacknowledged envelopes never enqueued or last enqueued before the threshold.

    Returns how many were enqueued. Stops at the first Redis error (raising it) after recording
    what was already sent, so the next run carries on from there.
    """
    now = now or utcnow()
    threshold = now - timedelta(seconds=older_than_seconds)
    sent = 0
    while True:
        with session_factory() as session:
            rows = session.execute(
                select(OutboxEnvelope.id, OutboxEnvelope.envelope, OutboxEnvelope.enqueue_count)
                .where(
                    OutboxEnvelope.acked_at.is_(None),
                    or_(
                        OutboxEnvelope.last_enqueued_at.is_(None),
                        OutboxEnvelope.last_enqueued_at < threshold,
                    ),
                )
                .order_by(OutboxEnvelope.created_at)
                .limit(RELAY_BATCH)
            ).all()
        if not rows:
            return sent
        for envelope_id, sealed, attempt in rows:
            # A RedisError stops this run; the next run carries on from here.
            enqueue_ingest(redis_conn, envelope_id, sealed, attempt=attempt)
            with transaction(session_factory) as session:
                session.execute(
                    update(OutboxEnvelope)
                    .where(OutboxEnvelope.id == envelope_id)
                    .values(last_enqueued_at=now, enqueue_count=OutboxEnvelope.enqueue_count + 1)
                )
            sent += 1
            log.info("relayed envelope %s", envelope_id)
        if len(rows) < RELAY_BATCH:
            return sent


def record_acknowledgement(
    session: Session, envelope_id: str, outcome: str, now: datetime | None = None
) -> bool:
    """Mark ``envelope_id`` as held by triage. Idempotent; False for unknown ids or outcomes.

    The first acknowledgement time is kept; a later, different outcome (an envelope re-ingested
    after being dead-lettered) replaces the recorded outcome.
    """
    if outcome not in ACK_OUTCOMES:
        log.warning("ignored acknowledgement for envelope %s: unknown outcome", envelope_id)
        return False
    row = session.get(OutboxEnvelope, envelope_id)
    if row is None:
        log.warning("acknowledgement for unknown envelope %s ignored", envelope_id)
        return False
    if row.acked_at is None:
        row.acked_at = now or utcnow()
    row.ack_outcome = outcome
    return True
