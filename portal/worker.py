"""The portal worker process: jobs from triage, the outbox relay and the receipt purge.

- An allowlisting RQ worker on queue ``portal`` runs the jobs of ``PORTAL_ALLOWLIST``
  (acknowledgements, messages to reporters, report status) and nothing else
  (``tipline.workers``).
- A housekeeping thread re-enqueues unacknowledged envelopes and attachments every
  ``settings.relay_interval_seconds`` (those not sent for ``settings.relay_after_seconds``), and
  every ``PURGE_INTERVAL_SECONDS`` expires receipts idle for ``settings.receipt_expiry_days``.

SIGTERM or Ctrl-C: RQ finishes the current job and stops (warm shutdown), then the thread is
stopped. ``burst=True`` runs the relay and the purge once, drains the queue in-process and
returns.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from portal import jobs
from portal.context import redis_client
from portal.expiry import purge_expired
from portal.outbox import relay
from portal.retention import drop_delivered
from tipline.db import transaction
from tipline.queue_contract import PORTAL_ALLOWLIST, PORTAL_QUEUE
from tipline.settings import Settings
from tipline.workers import make_worker

log = logging.getLogger("portal.worker")

PURGE_INTERVAL_SECONDS = 600


def relay_once(sessions: sessionmaker[Session], redis: Redis, settings: Settings) -> int:
    """One relay pass that never raises: problems are logged and retried next pass."""
    try:
        count = relay(sessions, redis, settings.relay_after_seconds)
    except RedisError as exc:
        log.warning("relay: Redis unavailable (%s); will retry", exc.__class__.__name__)
        return 0
    except SQLAlchemyError as exc:
        log.warning("relay: portal database unavailable (%s); will retry", exc.__class__.__name__)
        return 0
    if count:
        log.info("relay: re-enqueued %d envelope(s)", count)
    return count


def purge_once(sessions: sessionmaker[Session], settings: Settings) -> int:
    """Expire idle receipts and drop delivered sealed data (all that is due, in batches);
    never raises."""
    total = 0
    try:
        while True:
            with transaction(sessions) as session:
                count = purge_expired(session, settings.receipt_expiry_days)
                count += drop_delivered(session, settings.outbox_retention_hours)
            total += count
            if not count:
                return total
    except SQLAlchemyError as exc:
        log.warning("purge: portal database unavailable (%s); will retry", exc.__class__.__name__)
        return total


class RelayThread(threading.Thread):
    """Runs ``relay_once`` every relay interval, and ``purge_once`` every
    ``PURGE_INTERVAL_SECONDS``, until ``stop()``."""

    def __init__(self, sessions: sessionmaker[Session], redis: Redis, settings: Settings) -> None:
        super().__init__(name="portal-relay", daemon=True)
        self._sessions = sessions
        self._redis = redis
        self._settings = settings
        self._stopping = threading.Event()

    def run(self) -> None:
        next_purge = 0.0
        while not self._stopping.is_set():
            relay_once(self._sessions, self._redis, self._settings)
            if time.monotonic() >= next_purge:
                purge_once(self._sessions, self._settings)
                next_purge = time.monotonic() + PURGE_INTERVAL_SECONDS
            self._stopping.wait(self._settings.relay_interval_seconds)

    def stop(self) -> None:
        self._stopping.set()


def hold_early_stop_signals(timeout: float = 60.0) -> None:
    """Keep a SIGTERM/SIGINT that arrives while RQ is starting, and deliver it again later.

    RQ announces the worker in Redis before it installs its own signal handlers; a SIGTERM in
    between would kill the process without a warm shutdown. Until RQ's handlers are in place,
    such a signal is remembered, then sent again so that RQ shuts down properly.
    """
    pending: list[int] = []

    def remember(signum: int, _frame: FrameType | None) -> None:
        pending.append(signum)

    signal.signal(signal.SIGTERM, remember)
    signal.signal(signal.SIGINT, remember)

    def redeliver() -> None:
        deadline = time.monotonic() + timeout
        while signal.getsignal(signal.SIGTERM) is remember and time.monotonic() < deadline:
            time.sleep(0.02)
        for signum in pending:
            os.kill(os.getpid(), signum)

    threading.Thread(target=redeliver, name="portal-early-signals", daemon=True).start()


def run(settings: Settings, burst: bool = False) -> None:
    """Run the portal worker (logging is configured by the entry point, ``tipline.cli``)."""
    settings.require_portal()
    jobs.configure(settings)
    assert settings.redis_url
    redis = redis_client(settings.redis_url)  # fails fast: for the relay
    # The worker blocks on Redis for minutes at a time, so its client has no socket timeout.
    worker_redis = Redis.from_url(settings.redis_url)
    sessions = jobs.sessions()
    if burst:
        relay_once(sessions, redis, settings)
        purge_once(sessions, settings)
        worker = make_worker([PORTAL_QUEUE], PORTAL_ALLOWLIST, worker_redis, simple=True)
        worker.work(burst=True, logging_level=settings.log_level)
        return
    hold_early_stop_signals()
    relay_thread = RelayThread(sessions, redis, settings)
    relay_thread.start()
    worker = make_worker([PORTAL_QUEUE], PORTAL_ALLOWLIST, worker_redis)
    try:
        # RQ handles SIGTERM/SIGINT: it finishes the current job, then returns.
        worker.work(logging_level=settings.log_level)
    finally:
        relay_thread.stop()
        relay_thread.join(timeout=10)
