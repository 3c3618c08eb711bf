"""Intake: open a sealed report in memory, score it, and queue it (or keep it as a dead letter).

``ingest`` takes a session and does the work; it never commits (the caller's transaction does)
and never talks to Redis. Nothing is dropped: an envelope that cannot be opened, validated or
matched to its job becomes a ``DeadLetter`` that officers can see.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipline import report_schema
from tipline.envelope import EnvelopeError, Purpose, open_envelope, read_header
from tipline.keys import PrivateKey
from tipline.queue_contract import ACK_DEAD_LETTER, ACK_STORED
from triage.audit import record
from triage.models import DeadLetter, QueueItem, default_unit
from triage.rules import Rules, score

log = logging.getLogger("triage.intake")

ENVELOPE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class InvalidJob(ValueError):
    """The job's envelope id is not an outbox id; the job fails and stays in RQ's failed list."""


def held_outcome(session: Session, envelope_id: str) -> str | None:
    """The outcome already recorded for this envelope id, or None if triage does not hold it."""
    if session.scalars(select(QueueItem.id).where(QueueItem.envelope_id == envelope_id)).first():
        return ACK_STORED
    if session.scalars(select(DeadLetter.id).where(DeadLetter.envelope_id == envelope_id)).first():
        return ACK_DEAD_LETTER
    return None


def ingest(
    session: Session,
    keyring: Mapping[str, PrivateKey],
    rules: Rules,
    envelope_id: str,
    envelope: bytes,
    now: datetime,
) -> str:
    """Store one delivered envelope; returns ``ACK_STORED`` or ``ACK_DEAD_LETTER``.

    Idempotent: an envelope id already held returns its earlier outcome and stores nothing.
    """
    if not ENVELOPE_ID.match(envelope_id):
        raise InvalidJob("the job's envelope id is not a lowercase UUID")
    outcome = held_outcome(session, envelope_id)
    if outcome is not None:
        return outcome
    unit = default_unit(session)
    try:
        key_id = read_header(envelope).key_id
        # Opened in memory only: the plaintext is scored and then dropped.
        plaintext = open_envelope(envelope, keyring, Purpose.REPORT)
        document = report_schema.decode(plaintext)
    except EnvelopeError as exc:
        return dead_letter(session, envelope_id, envelope, exc.kind, str(exc), now)
    except report_schema.ReportInvalid as exc:
        return dead_letter(session, envelope_id, envelope, "invalid-report", str(exc), now)
    if document["envelope_id"] != envelope_id:
        return dead_letter(
            session,
            envelope_id,
            envelope,
            "envelope-id-mismatch",
            "the sealed report names a different envelope id than its delivery",
            now,
        )
    received_at = _received_at(document, now)
    result = score(document, rules, received_at)
    item = QueueItem(
        envelope_id=envelope_id,
        unit_id=unit.id,
        purpose=Purpose.REPORT.name.lower(),
        tier=result.tier,
        category=document["report"]["category"],
        received_at=received_at,
        due_at=result.due_at,
        reasons=result.reasons,
        status="new",
        sealed_body=envelope,  # exactly as received; only the unit's private key opens it
        key_id=key_id,
    )
    session.add(item)
    session.flush()
    record(session, "ingested", item_id=item.id, detail={"tier": result.tier}, at=now)
    if result.tier == "P1":
        log.warning("life-safety report queued: item %s", item.id)
    else:
        log.info("report queued: item %s", item.id)
    return ACK_STORED


def dead_letter(
    session: Session, envelope_id: str, raw: bytes, kind: str, message: str, now: datetime
) -> str:
    """Keep an envelope that could not be queued; ``message`` must never carry content."""
    letter = DeadLetter(
        envelope_id=envelope_id,
        unit_id=default_unit(session).id,
        received_at=now,
        error_kind=kind,
        error_message=message,
        raw_envelope=raw,
    )
    session.add(letter)
    session.flush()
    record(session, "dead-lettered", detail={"dead_letter": letter.id, "kind": kind}, at=now)
    log.error("envelope %s kept as a dead letter: %s", envelope_id, kind)
    return ACK_DEAD_LETTER


def _received_at(document: Mapping[str, object], now: datetime) -> datetime:
    """When the portal accepted the report (the due clock starts then), never in the future."""
    try:
        submitted = datetime.fromisoformat(str(document["submitted_at"]))
    except ValueError:
        return now
    if submitted.tzinfo is None:
        return now
    return min(submitted, now)
