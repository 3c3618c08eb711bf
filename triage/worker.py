"""The intake worker process: an allowlisting RQ worker on queue "intake", and the message relay.

- The RQ worker runs ``tipline.queue_contract.INTAKE_ALLOWLIST`` and nothing else.
- A relay thread re-sends, every ``settings.relay_interval_seconds``, the questions to reporters
  that the portal has not answered for and that were last sent over
  ``settings.relay_after_seconds`` ago (``triage.messages.relay``).

The relay has its own database engine: the forking RQ worker's children use the jobs' engine,
and a connection must never be shared across a fork. ``burst=True`` runs the relay once, drains
the queue and returns.
"""

from __future__ import annotations

import logging
import threading

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tipline import logs
from tipline.db import make_engine, session_factory
from tipline.queue_contract import INTAKE_ALLOWLIST, INTAKE_QUEUE
from tipline.settings import Settings
from tipline.workers import make_worker
from triage import jobs, messages

log = logging.getLogger("triage.worker")


def relay_once(sessions: sessionmaker[Session], redis: Redis, settings: Settings) -> int:
    """One relay pass that never raises: problems are logged and retried next pass."""
    try:
        count = messages.relay(sessions, redis, settings.relay_after_seconds)
    except RedisError as exc:
        log.warning("message relay: Redis unavailable (%s); will retry", exc.__class__.__name__)
        return 0
    except SQLAlchemyError as exc:
        log.warning(
            "message relay: triage database unavailable (%s); will retry", exc.__class__.__name__
        )
        return 0
    if count:
        log.info("message relay: re-sent %d message(s)", count)
    return count


class RelayThread(threading.Thread):
    """Runs ``relay_once`` every ``interval`` seconds until ``stop()``."""

    def __init__(self, sessions: sessionmaker[Session], redis: Redis, settings: Settings) -> None:
        super().__init__(name="triage-message-relay", daemon=True)
        self._sessions = sessions
        self._redis = redis
        self._settings = settings
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            relay_once(self._sessions, self._redis, self._settings)
            self._stopping.wait(self._settings.relay_interval_seconds)

    def stop(self) -> None:
        self._stopping.set()


def run(settings: Settings, burst: bool = False) -> None:
    """Work the intake queue (forever, or until it is empty with ``burst=True``).

    Keys and rules are loaded once here, before jobs are forked, so a broken rules file or key
    stops the worker at start rather than dead-lettering every report.
    """
    logs.configure(settings.log_level)
    context = jobs.configure(settings)
    assert settings.triage_database_url and settings.redis_url
    relay_engine = make_engine(settings.triage_database_url)
    relay_sessions = session_factory(relay_engine)
    relay_redis = Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=10)
    worker = make_worker([INTAKE_QUEUE], INTAKE_ALLOWLIST, context.redis)
    try:
        if burst:
            relay_once(relay_sessions, relay_redis, settings)
            relay_engine.dispose()  # nothing of it is left open while jobs are forked
            worker.work(burst=True)
            return
        relay_thread = RelayThread(relay_sessions, relay_redis, settings)
        relay_thread.start()
        try:
            # RQ handles SIGTERM/SIGINT: it finishes the current job, then returns.
            worker.work()
        finally:
            relay_thread.stop()
            relay_thread.join(timeout=10)
    finally:
        relay_engine.dispose()
        relay_redis.close()
