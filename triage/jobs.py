"""The jobs the intake worker runs, and the per-process context they use.

Three layers each: the portal enqueues (``tipline.queue_contract.enqueue_*``), a thin job here
opens its own transaction, and a plain function does the work on a session:

- ``ingest_envelope`` -> ``triage.intake.ingest`` (a report or a reporter's reply);
- ``ingest_attachment`` -> ``triage.files.store`` (one sealed file);
- ``record_message_delivery`` -> ``triage.messages.record_delivery``;
- ``deliver_notifications`` -> ``triage.notify.outbox.deliver_one`` (pages and escalations,
  enqueued once the alert that needs them has committed).

Acknowledgements go to the portal only after the transaction has committed, so the portal never
stops re-sending something triage does not durably hold. A deferred reply (its report is not
here yet) is not acknowledged at all.
"""

from __future__ import annotations

import binascii
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tipline.db import make_engine, transaction
from tipline.keys import PrivateKey, load_private_keys
from tipline.queue_contract import (
    ACK_OUTCOMES,
    ACK_STORED,
    enqueue_acknowledgement,
    enqueue_attachment_acknowledgement,
    unb64,
)
from tipline.settings import Settings, SettingsError, load_settings
from triage import audit, files, intake, links, messages
from triage.models import QueueItem
from triage.notify import outbox
from triage.rules import Rules, load_rules

log = logging.getLogger("triage.jobs")

# A rollback caused by a concurrent delivery is retried this many times at most.
_ATTEMPTS = 3


@dataclass(frozen=True)
class IntakeContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: dict[str, PrivateKey]
    rules: Rules
    redis: Redis


_context: IntakeContext | None = None


def build_context(settings: Settings) -> IntakeContext:
    """Everything intake needs; reads key and rules files, connects to nothing yet."""
    settings.require_triage()
    assert settings.triage_database_url and settings.redis_url and settings.private_key_dir
    keyring = load_private_keys(settings.private_key_dir)
    if not keyring:
        # Fail closed: without a key every report would end as a dead letter.
        raise SettingsError(
            f"no unit private key in {settings.private_key_dir}; the intake worker cannot open"
            " reports (run `tipline keys generate` or copy the unit's .key files there)"
        )
    rules = load_rules(settings.rules_path)
    engine = make_engine(settings.triage_database_url)
    return IntakeContext(
        settings=settings,
        engine=engine,
        sessions=audit.triage_sessions(engine, settings),
        keyring=keyring,
        rules=rules,
        redis=Redis.from_url(settings.redis_url),
    )


def configure(settings: Settings) -> IntakeContext:
    """Set this process's intake context, replacing (and closing) any previous one."""
    global _context
    previous, _context = _context, build_context(settings)
    if previous is not None:
        previous.engine.dispose()
        previous.redis.close()
    return _context


def context() -> IntakeContext:
    """The configured context; without ``configure``, one built from the environment."""
    return _context if _context is not None else configure(load_settings())


def ingest_envelope(envelope_id: str, envelope_b64: str) -> str:
    """RQ job (``tipline.queue_contract.INGEST_ENVELOPE``): store, commit, then acknowledge.

    A reply that overtook its report is not acknowledged (``intake.DEFERRED``): the portal's
    relay sends it again.
    """
    ctx = context()
    outcome = store(ctx, envelope_id, envelope_b64)
    if outcome in ACK_OUTCOMES:
        enqueue_acknowledgement(ctx.redis, envelope_id, outcome)
    if outcome == ACK_STORED:
        notify_after_commit(ctx, envelope_id)
    return outcome


def notify_after_commit(ctx: IntakeContext, envelope_id: str) -> None:
    """A life-safety item's first page was committed with it, and so were the pages of related
    items the new report raised to P1: send them now (the scheduler's tick sends them too if
    this job is lost)."""
    with ctx.sessions() as session:
        item = session.scalars(
            select(QueueItem).where(QueueItem.envelope_id == envelope_id)
        ).first()
        pending: list[str] = []
        if item is not None:
            for item_id in [item.id, *(link.other.id for link in links.links_of(session, item))]:
                pending += outbox.pending_ids_for_item(session, item_id)
    outbox.enqueue_delivery(ctx.redis, pending)


def deliver_notifications(notification_ids: list[str]) -> int:
    """RQ job (``DELIVER_NOTIFICATIONS``): send these notifications if still due; returns how
    many went out. Failures are retried by the scheduler with back-off."""
    ctx = context()
    if not isinstance(notification_ids, list) or not all(
        isinstance(i, str) for i in notification_ids
    ):
        raise ValueError("deliver_notifications takes a list of notification ids")
    sent = 0
    for notification_id in notification_ids:
        outcome = outbox.deliver_one(ctx.sessions, ctx.settings, notification_id, datetime.now(UTC))
        sent += outcome == outbox.SENT
    return sent


def ingest_attachment(attachment_id: str, sealed_b64: str) -> str:
    """RQ job (``INGEST_ATTACHMENT``): keep the sealed file, commit, then acknowledge.

    Raises ``triage.files.InvalidAttachmentJob`` (no acknowledgement) for a job that cannot be
    a file the portal accepted.
    """
    ctx = context()
    new = store_attachment(ctx, attachment_id, sealed_b64)
    log.info("attachment %s %s", attachment_id, "stored" if new else "was already held")
    enqueue_attachment_acknowledgement(ctx.redis, attachment_id)
    return ACK_STORED


def store_attachment(ctx: IntakeContext, attachment_id: str, sealed_b64: str) -> bool:
    """Run ``files.store`` in its own transaction; True if the file is new here."""
    try:
        sealed = unb64(sealed_b64)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise files.InvalidAttachmentJob("the delivered file is not valid base64") from None
    limit = files.max_sealed_size(ctx.settings.attachment_max_bytes)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with transaction(ctx.sessions) as session:
                return files.store(session, attachment_id, sealed, datetime.now(UTC), limit)
        except IntegrityError:
            # A concurrent delivery stored it first: our transaction is rolled back.
            with ctx.sessions() as session:
                if files.is_held(session, attachment_id):
                    return False
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def record_message_delivery(message_id: str, outcome: str) -> bool:
    """RQ job (``RECORD_MESSAGE_DELIVERY``): the portal's answer for a question sent."""
    ctx = context()
    with transaction(ctx.sessions) as session:
        return messages.record_delivery(session, message_id, outcome, datetime.now(UTC))


def store(ctx: IntakeContext, envelope_id: str, envelope_b64: str) -> str:
    """Run ``ingest`` in its own transaction; a concurrent duplicate ends as "already held"."""
    for attempt in range(1, _ATTEMPTS + 1):
        now = datetime.now(UTC)
        try:
            with transaction(ctx.sessions) as session:
                try:
                    envelope = unb64(envelope_b64)
                except (binascii.Error, ValueError, UnicodeEncodeError):
                    raw = envelope_b64.encode("utf-8", "replace")
                    message = "the delivered envelope is not valid base64"
                    return intake.dead_letter(session, envelope_id, raw, "malformed", message, now)
                return intake.ingest(
                    session,
                    ctx.keyring,
                    ctx.rules,
                    envelope_id,
                    envelope,
                    now,
                    settings=ctx.settings,
                    blind_key=ctx.settings.blind_index_key,
                )
        except IntegrityError:
            # Another worker stored the same envelope (or created the default unit) first:
            # our transaction is rolled back; look again.
            with ctx.sessions() as session:
                outcome = intake.held_outcome(session, envelope_id)
            if outcome is not None:
                log.info("envelope %s was stored by a concurrent delivery", envelope_id)
                return outcome
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")
