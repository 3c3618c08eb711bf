"""The transactional outbox: a report is durable here before the reporter sees "received".

1. ``accept_report`` (``accept_referral`` for a referral) seals the document and commits the
   envelope, its receipt and its sealed attachments in one transaction (``accept_reply`` does
   the same for a reporter's reply, and records the activity on the receipt). Only then does
   it try to put the envelope and the files on the ``intake`` queue. If Redis is down the
   report is still accepted: the relay sends it later.
2. ``relay`` (run by the portal worker every few seconds) re-enqueues every envelope and every
   attachment that triage has not acknowledged and that was never enqueued or was last enqueued
   too long ago. Triage's ingest is idempotent by id, so sending twice is harmless; not sending
   is not.
3. ``record_acknowledgement`` (called by the ``portal.jobs`` job) marks an envelope as held by
   triage, which stops the relay from re-sending it.

Logs carry envelope ids only, never content, receipts or addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from portal import attachment_outbox
from portal.attachment_outbox import SealedFile
from portal.models import OutboxEnvelope, Receipt, utcnow
from portal.receipts import ReceiptKeys
from portal.sealing import ReportSealer
from tipline.db import transaction
from tipline.queue_contract import ACK_OUTCOMES, enqueue_ingest

log = logging.getLogger("portal.outbox")

PURPOSE_REPORT = "report"
PURPOSE_REFERRAL = "referral"  # an identified referral: a new report, with a receipt
PURPOSE_REPLY = "reply"
RELAY_BATCH = 500


def accept_report(
    session_factory: sessionmaker[Session],
    sealer: ReportSealer,
    document: dict[str, Any],
    receipt: ReceiptKeys,
    redis_conn: Redis,
    now: datetime | None = None,
    files: Sequence[SealedFile] = (),
) -> str:
    """Seal and durably accept a report; then try to enqueue it. Returns the envelope id.

    ``files`` are the sealed attachments the document names. Raises
    ``report_schema.ReportInvalid`` or ``tipline.keys.KeyProblem`` (nothing stored) or a
    database error (nothing stored). Once this returns, the report is accepted, whether or not
    Redis took it.
    """
    # Readable only by the unit's triage side.
    sealed = sealer.seal_report(document)
    return _accept_new(
        session_factory,
        document["envelope_id"],
        PURPOSE_REPORT,
        sealed,
        receipt,
        redis_conn,
        now,
        files,
    )


def accept_referral(
    session_factory: sessionmaker[Session],
    sealer: ReportSealer,
    document: dict[str, Any],
    receipt: ReceiptKeys,
    redis_conn: Redis,
    now: datetime | None = None,
    files: Sequence[SealedFile] = (),
) -> str:
    """Seal and durably accept a ``tipline.referral/1`` exactly like a report (same failures,
    same guarantees, same receipt). Returns the envelope id."""
    # Readable only by the unit's triage side.
    sealed = sealer.seal_referral(document)
    return _accept_new(
        session_factory,
        document["envelope_id"],
        PURPOSE_REFERRAL,
        sealed,
        receipt,
        redis_conn,
        now,
        files,
    )


def _accept_new(
    session_factory: sessionmaker[Session],
    envelope_id: str,
    purpose: str,
    sealed: bytes,
    receipt: ReceiptKeys,
    redis_conn: Redis,
    now: datetime | None,
    files: Sequence[SealedFile],
) -> str:
    """Commit a sealed new document with its receipt and files, then try to enqueue it."""
    now = now or utcnow()
    with transaction(session_factory) as session:
        _add_envelope(session, envelope_id, purpose, sealed, now)
        session.add(
            Receipt(
                lookup_id=receipt.lookup_id,
                public_key=receipt.public_key,
                envelope_id=envelope_id,
                created_at=now,
                last_activity_at=now,
            )
        )
        attachment_outbox.add_rows(session, envelope_id, files, now)
    send(session_factory, redis_conn, envelope_id, sealed, attempt=0)
    attachment_outbox.send(session_factory, redis_conn, files)
    return envelope_id


def accept_reply(
    session_factory: sessionmaker[Session],
    sealer: ReportSealer,
    document: dict[str, Any],
    lookup_id: str,
    redis_conn: Redis,
    now: datetime | None = None,
    files: Sequence[SealedFile] = (),
) -> str:
    """Seal and durably accept a reporter's reply, exactly like a report. Returns its id.

    The reply's activity is recorded on the receipt ``lookup_id`` in the same transaction.
    Raises ``report_schema.ReportInvalid``, ``tipline.keys.KeyProblem`` or a database error,
    with nothing stored.
    """
    envelope_id = document["envelope_id"]
    # Readable only by the unit's triage side.
    sealed = sealer.seal_reply(document)
    now = now or utcnow()
    with transaction(session_factory) as session:
        _add_envelope(
            session,
            envelope_id,
            PURPOSE_REPLY,
            sealed,
            now,
            report_envelope_id=document["report_envelope_id"],
        )
        session.execute(
            update(Receipt).where(Receipt.lookup_id == lookup_id).values(last_activity_at=now)
        )
        attachment_outbox.add_rows(session, envelope_id, files, now)
    send(session_factory, redis_conn, envelope_id, sealed, attempt=0)
    attachment_outbox.send(session_factory, redis_conn, files)
    return envelope_id


def _add_envelope(
    session: Session,
    envelope_id: str,
    purpose: str,
    sealed: bytes,
    now: datetime,
    report_envelope_id: str | None = None,
) -> None:
    session.add(
        OutboxEnvelope(
            id=envelope_id,
            purpose=purpose,
            envelope=sealed,
            report_envelope_id=report_envelope_id,
            created_at=now,
            enqueue_count=0,
        )
    )
    session.flush()  # receipts and attachments refer to the envelope


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
    """Re-enqueue unacknowledged envelopes and attachments never enqueued or last enqueued
    before the threshold.

    Returns how many were enqueued (envelopes and attachments). Stops at the first Redis error
    (raising it) after recording what was already sent, so the next run carries on from there.
    """
    now = now or utcnow()
    sent = _relay_envelopes(session_factory, redis_conn, older_than_seconds, now)
    return sent + attachment_outbox.relay(session_factory, redis_conn, older_than_seconds, now)


def _relay_envelopes(
    session_factory: sessionmaker[Session],
    redis_conn: Redis,
    older_than_seconds: int,
    now: datetime,
) -> int:
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
