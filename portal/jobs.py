"""Jobs the portal worker runs (allowlisted in ``tipline.queue_contract.PORTAL_ALLOWLIST``).

Three layers: triage enqueues (``tipline.queue_contract.enqueue_*``); the thin job here checks
its arguments (they arrive as JSON from Redis) and opens its own session; a plain function
(``portal.outbox``, ``portal.attachment_outbox``, ``portal.mailbox``) does the work on it.

- ``record_acknowledgement(envelope_id, outcome)``: triage holds a report or reply.
- ``record_attachment_acknowledgement(attachment_id)``: triage holds a sealed file.
- ``store_message(message_id, report_envelope_id, envelope_b64)``: a message sealed to a
  reporter; acknowledged with ``enqueue_message_delivery`` after the commit.
- ``record_report_status(report_envelope_id, status, changed_at)``: the coarse status.
- ``store_directory(directory_json)``: the organization directory (the newest version wins).
"""

from __future__ import annotations

import binascii
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from portal import attachment_outbox, directory, mailbox, outbox
from portal.context import redis_client
from tipline.db import make_engine, session_factory, transaction
from tipline.queue_contract import enqueue_message_delivery, unb64
from tipline.settings import Settings, load_settings

log = logging.getLogger("portal.jobs")


@dataclass
class _JobContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: Redis
    pid: int


_lock = threading.Lock()
_context: _JobContext | None = None


def configure(settings: Settings) -> None:
    """Set the database and Redis used by jobs in this process (replacing any previous ones)."""
    global _context
    if not settings.portal_database_url or not settings.redis_url:
        settings.require_portal()  # raises a SettingsError naming what is missing
    engine = make_engine(settings.portal_database_url or "", hide_parameters=True)
    redis = redis_client(settings.redis_url or "")
    with _lock:
        previous, _context = (
            _context,
            _JobContext(settings, engine, session_factory(engine), redis, os.getpid()),
        )
    if previous is not None:
        previous.engine.dispose()
        previous.redis.close()


def _current() -> _JobContext:
    if _context is None:
        configure(load_settings())
    context = _context
    assert context is not None
    if context.pid != os.getpid():
        # A forked job process must not share the parent's pooled connections.
        context.engine.dispose(close=False)
        context.pid = os.getpid()
    return context


def sessions() -> sessionmaker[Session]:
    """The session factory for jobs; lazily configured from the environment if needed."""
    return _current().session_factory


_UUID = re.compile(r"^[0-9a-f-]{36}$")
_ATTACHMENT_ID = re.compile(r"^[0-9a-f]{32}$")


def _is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))


def record_acknowledgement(envelope_id: str, outcome: str) -> None:
    """Job: triage holds ``envelope_id`` (``outcome``: stored | dead-letter); stop re-sending."""
    if not isinstance(envelope_id, str) or not isinstance(outcome, str) or len(envelope_id) > 36:
        log.warning("ignored malformed acknowledgement job")
        return
    with transaction(sessions()) as session:
        outbox.record_acknowledgement(session, envelope_id, outcome)


def record_attachment_acknowledgement(attachment_id: str) -> None:
    """Job: triage holds the sealed file ``attachment_id``; stop re-sending it."""
    if not isinstance(attachment_id, str) or not _ATTACHMENT_ID.match(attachment_id):
        log.warning("ignored malformed attachment acknowledgement job")
        return
    with transaction(sessions()) as session:
        attachment_outbox.record_attachment_acknowledgement(session, attachment_id)


def store_message(message_id: str, report_envelope_id: str, envelope_b64: str) -> str:
    """Job: file a message sealed to the reporter of ``report_envelope_id``, then tell triage
    (``stored`` or ``no-mailbox``) once that is committed. Safe to run twice."""
    if not (_is_uuid(message_id) and _is_uuid(report_envelope_id)) or not isinstance(
        envelope_b64, str
    ):
        log.warning("ignored malformed store_message job")
        return "malformed"
    try:
        sealed = unb64(envelope_b64)
    except (binascii.Error, ValueError):
        log.warning("ignored store_message job %s: envelope is not base64", message_id)
        return "malformed"
    context = _current()
    with transaction(context.session_factory) as session:
        outcome = mailbox.store_message(
            session,
            message_id,
            report_envelope_id,
            sealed,
            context.settings.receipt_expiry_days,
        )
    # After the commit: if this fails, the job fails and triage (or RQ) sends it again.
    enqueue_message_delivery(context.redis, message_id, outcome)
    return outcome


def record_report_status(report_envelope_id: str, status: str, changed_at: str) -> None:
    """Job: the coarse status of a report (the newest ``changed_at`` wins)."""
    if not _is_uuid(report_envelope_id) or not isinstance(status, str):
        log.warning("ignored malformed report status job")
        return
    try:
        when = datetime.fromisoformat(changed_at) if isinstance(changed_at, str) else None
    except ValueError:
        when = None
    if when is None:
        log.warning("ignored report status job for %s: bad time", report_envelope_id)
        return
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    with transaction(sessions()) as session:
        mailbox.record_report_status(session, report_envelope_id, status, when)


def store_directory(directory_json: str) -> str:
    """Job: keep the published directory if it is newer than the stored one (idempotent).

    Returns ``stored``, ``not-newer`` or ``malformed`` (logged without content, ignored).
    """
    for attempt in range(2):
        try:
            with transaction(sessions()) as session:
                return directory.store_directory(session, directory_json)
        except IntegrityError:
            # Two deliveries raced to create the first row: the second try sees it.
            if attempt:
                raise
    raise AssertionError("unreachable")
