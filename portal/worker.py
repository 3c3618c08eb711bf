"""The portal worker process: acknowledgements from triage, and the outbox relay.

- An allowlisting RQ worker on queue ``portal`` runs ``portal.jobs.record_acknowledgement`` and
  nothing else (``tipline.workers``).
- A relay thread re-enqueues unacknowledged envelopes every ``settings.relay_interval_seconds``
  (envelopes not sent for ``settings.relay_after_seconds``).

SIGTERM or Ctrl-C: RQ finishes the current job and stops (warm shutdown), then the relay thread
is stopped. ``burst=True`` runs the relay once, drains the queue in-process and returns.
"""

from __future__ import annotations

import logging
import threading

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from portal import jobs
from portal.context import redis_client
from portal.outbox import relay
from tipline.queue_contract import PORTAL_ALLOWLIST, PORTAL_QUEUE
from tipline.settings import Settings
from tipline.workers import make_worker

log = logging.getLogger("portal.worker")


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


class RelayThread(threading.Thread):
    """Runs ``relay_once`` every ``interval`` seconds until ``stop()``."""

    def __init__(self, sessions: sessionmaker[Session], redis: Redis, settings: Settings) -> None:
        super().__init__(name="portal-relay", daemon=True)
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
        worker = make_worker([PORTAL_QUEUE], PORTAL_ALLOWLIST, worker_redis, simple=True)
        worker.work(burst=True, logging_level=settings.log_level)
        return
    relay_thread = RelayThread(sessions, redis, settings)
    relay_thread.start()
    worker = make_worker([PORTAL_QUEUE], PORTAL_ALLOWLIST, worker_redis)
    try:
        # RQ handles SIGTERM/SIGINT: it finishes the current job, then returns.
        worker.work(logging_level=settings.log_level)
    finally:
        relay_thread.stop()
        relay_thread.join(timeout=10)
