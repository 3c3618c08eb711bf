"""Jobs the portal worker runs (allowlisted in ``tipline.queue_contract.PORTAL_ALLOWLIST``).

Three layers: triage enqueues (``tipline.queue_contract.enqueue_acknowledgement``); the thin job
here opens its own session; ``portal.outbox.record_acknowledgement`` does the work on a session.
Arguments arrive as JSON from Redis, so they are checked before use.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from portal import outbox
from tipline.db import make_engine, session_factory, transaction
from tipline.settings import Settings, load_settings

log = logging.getLogger("portal.jobs")


@dataclass
class _JobContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    pid: int


_lock = threading.Lock()
_context: _JobContext | None = None


def configure(settings: Settings) -> None:
    """Set the database used by jobs in this process (replacing any previous one)."""
    global _context
    if not settings.portal_database_url:
        settings.require_portal()  # raises a SettingsError naming what is missing
    engine = make_engine(settings.portal_database_url or "", hide_parameters=True)
    with _lock:
        previous, _context = (
            _context,
            _JobContext(settings, engine, session_factory(engine), os.getpid()),
        )
    if previous is not None:
        previous.engine.dispose()


def sessions() -> sessionmaker[Session]:
    """The session factory for jobs; lazily configured from the environment if needed."""
    if _context is None:
        configure(load_settings())
    context = _context
    assert context is not None
    if context.pid != os.getpid():
        # A forked job process must not share the parent's pooled connections.
        context.engine.dispose(close=False)
        context.pid = os.getpid()
    return context.session_factory


def record_acknowledgement(envelope_id: str, outcome: str) -> None:
    """Job: triage holds ``envelope_id`` (``outcome``: stored | dead-letter); stop re-sending."""
    if not isinstance(envelope_id, str) or not isinstance(outcome, str) or len(envelope_id) > 36:
        log.warning("ignored malformed acknowledgement job")
        return
    with transaction(sessions()) as session:
        outbox.record_acknowledgement(session, envelope_id, outcome)
