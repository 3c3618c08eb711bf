"""Intake: open a sealed envelope in memory and keep it where officers will see it.

``ingest`` reads the envelope's clear header and dispatches on its purpose:
- a report or a referral (both sealed as reports; told apart by ``schema``) is scored, routed
  to a unit (``triage.routing``) and queued. A referral's link token is checked here
  (``triage.referral_links``): valid -> verified and attributed to the link's organization,
  otherwise still queued, marked unverified;
- a reporter's reply joins the conversation of the report it follows. If that report is not
  here yet (a reply can overtake its report), the reply is *deferred*: nothing is stored and no
  acknowledgement is sent, so the portal's relay delivers it again later.

``ingest`` takes a session and does the work; it never commits (the caller's transaction does)
and never talks to Redis. Nothing is dropped: an envelope that cannot be opened, validated or
matched to its job becomes a ``DeadLetter`` that officers can see.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipline import report_schema
from tipline.envelope import EnvelopeError, Header, Purpose, open_envelope, read_header
from tipline.keys import PrivateKey
from tipline.queue_contract import ACK_DEAD_LETTER, ACK_STORED
from tipline.settings import Settings
from triage import paging
from triage.audit import record
from triage.conversation import FROM_REPORTER, refresh_flags
from triage.documents import REFERRAL, decode, fields_of, kind_of
from triage.models import DeadLetter, Message, QueueItem, default_unit
from triage.referral_links import verify_token
from triage.related import relate_new_item
from triage.routing import route
from triage.rules import Rules, score
from triage.sealing import UnitCrypto

log = logging.getLogger("triage.intake")

ENVELOPE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Not an acknowledgement outcome: nothing was stored, and the portal must send it again.
DEFERRED = "deferred"


class InvalidJob(ValueError):
    """The job's envelope id is not an outbox id; the job fails and stays in RQ's failed list."""


def held_outcome(session: Session, envelope_id: str) -> str | None:
    """The outcome already recorded for this envelope id, or None if triage does not hold it."""
    if session.scalars(select(QueueItem.id).where(QueueItem.envelope_id == envelope_id)).first():
        return ACK_STORED
    if session.scalars(select(Message.id).where(Message.envelope_id == envelope_id)).first():
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
    *,
    settings: Settings | None = None,
    blind_key: bytes | None = None,
) -> str:
    """Store one delivered envelope; returns ``ACK_STORED``, ``ACK_DEAD_LETTER`` or
    ``DEFERRED`` (a reply whose report is not here yet: nothing stored, do not acknowledge).

    With ``blind_key`` (``settings.blind_index_key``; the worker always passes it) a new item
    is indexed and linked to related items (``triage.related``); without it, it is not.
    Idempotent: an envelope id already held returns its earlier outcome and stores nothing.
    A life-safety (P1) item starts paging the on-call list in the same transaction
    (``triage.paging``; ``settings`` gives the acknowledgement wait, else its default).
    """
    if not ENVELOPE_ID.match(envelope_id):
        raise InvalidJob("the job's envelope id is not a lowercase UUID")
    outcome = held_outcome(session, envelope_id)
    if outcome is not None:
        return outcome
    try:
        header = read_header(envelope)
    except EnvelopeError as exc:
        return dead_letter(session, envelope_id, envelope, exc.kind, str(exc), now)
    if header.purpose is Purpose.REPORTER_REPLY:
        return ingest_reply(session, keyring, header, envelope_id, envelope, now)
    return ingest_report(
        session, keyring, rules, header, envelope_id, envelope, now, settings, blind_key
    )


def ingest_report(
    session: Session,
    keyring: Mapping[str, PrivateKey],
    rules: Rules,
    header: Header,
    envelope_id: str,
    envelope: bytes,
    now: datetime,
    settings: Settings | None = None,
    blind_key: bytes | None = None,
) -> str:
    """Score, route and queue a report or referral (anything not sealed as a report fails to
    open as one), then link it to related items when ``blind_key`` is given."""
    try:
        # Opened in memory only: the plaintext is scored and routed, then dropped.
        plaintext = open_envelope(envelope, keyring, Purpose.REPORT)
        document = decode(plaintext)
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
    kind = kind_of(document)
    verified: bool | None = None
    verified_organization: str | None = None
    if kind == REFERRAL:
        organization = verify_token(session, document.get("referral_token"))
        verified = organization is not None
        verified_organization = organization.id if organization is not None else None
    destination = route(session, document, verified_organization)
    received_at = _received_at(document, now)
    result = score(document, rules, received_at)
    item = QueueItem(
        envelope_id=envelope_id,
        unit_id=destination.unit.id,
        purpose=Purpose.REPORT.name.lower(),
        kind=kind,
        organization_id=destination.organization_id,
        verified=verified,
        tier=result.tier,
        scored_tier=result.tier,
        channel=str(document.get("channel") or "web")[:20],
        category=fields_of(document)["category"],
        received_at=received_at,
        due_at=result.due_at,
        reasons=result.reasons,
        route_reasons=destination.reasons,
        status="new",
        sealed_body=envelope,  # exactly as received; only the unit's private key opens it
        key_id=header.key_id,
    )
    session.add(item)
    session.flush()
    detail: dict[str, object] = {"tier": result.tier, "unit": destination.unit.slug}
    if kind == REFERRAL:
        detail |= {"kind": kind, "verified": verified}
    record(session, "ingested", item_id=item.id, detail=detail, at=now)
    raised: tuple[int, ...] = ()
    if blind_key is not None:
        raised = relate_new_item(session, item, document, blind_key, rules, now).raised_to_p1
    if item.tier == "P1":  # scored P1, or raised to P1 by the related-reports rule
        log.warning("life-safety %s queued: item %s", kind, item.id)
        paging.start_life_safety(session, item, now, settings)
    else:
        log.info("%s queued: item %s", kind, item.id)
    for other_id in raised:
        other = session.get(QueueItem, other_id)
        if other is not None and other.id != item.id:
            log.warning("related reports raised item %s to P1", other.id)
            paging.start_life_safety(session, other, now, settings)
    return ACK_STORED


def ingest_reply(
    session: Session,
    keyring: Mapping[str, PrivateKey],
    header: Header,
    envelope_id: str,
    envelope: bytes,
    now: datetime,
) -> str:
    """Add a reporter's reply to the conversation of the report it follows."""
    try:
        # Opened in memory only, to check it and find its report; kept sealed as received.
        document = UnitCrypto(keyring).open_reply(envelope)
    except EnvelopeError as exc:
        return dead_letter(session, envelope_id, envelope, exc.kind, str(exc), now)
    except report_schema.ReportInvalid as exc:
        return dead_letter(session, envelope_id, envelope, "invalid-reply", str(exc), now)
    if document["envelope_id"] != envelope_id:
        return dead_letter(
            session,
            envelope_id,
            envelope,
            "envelope-id-mismatch",
            "the sealed reply names a different envelope id than its delivery",
            now,
        )
    report_id = document["report_envelope_id"]
    item = session.scalars(select(QueueItem).where(QueueItem.envelope_id == report_id)).first()
    if item is None:
        if held_outcome(session, report_id) == ACK_DEAD_LETTER:
            return dead_letter(
                session,
                envelope_id,
                envelope,
                "report-dead-lettered",
                "the report this reply follows was kept as a dead letter",
                now,
            )
        log.info("reply %s waits for its report; not acknowledged", envelope_id)
        return DEFERRED
    message = Message(
        id=str(uuid.uuid4()),
        item_id=item.id,
        direction=FROM_REPORTER,
        created_at=_received_at(document, now),
        unit_copy=envelope,  # exactly as received; only the unit's private key opens it
        key_id=header.key_id,
        envelope_id=envelope_id,
    )
    session.add(message)
    refresh_flags(session, item)
    files = len(document.get("attachments") or [])
    record(
        session,
        "reply-received",
        item_id=item.id,
        detail={"message": message.id, "attachments": files},
        at=now,
    )
    log.info("reply %s added to item %s", envelope_id, item.id)
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
    """When the portal accepted the report or reply (a report's due clock starts then), never
    in the future."""
    try:
        submitted = datetime.fromisoformat(str(document["submitted_at"]))
    except ValueError:
        return now
    if submitted.tzinfo is None:
        return now
    return min(submitted, now)
