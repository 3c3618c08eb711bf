"""The intake worker process: an allowlisting RQ worker on queue "intake", the message relay
and the directory publisher.

- The RQ worker runs ``tipline.queue_contract.INTAKE_ALLOWLIST`` and nothing else.
- A relay thread re-sends, every ``settings.relay_interval_seconds``, the questions to reporters
  that the portal has not answered for and that were last sent over
  ``settings.relay_after_seconds`` ago (``triage.messages.relay``).
- A publisher thread sends the public directory to the portal at start and every
  ``settings.directory_publish_seconds`` (``triage.publishing``), so the portal catches up with
  any change whose immediate publication was lost.

The threads have their own database engine: the forking RQ worker's children use the jobs'
engine, and a connection must never be shared across a fork. ``burst=True`` runs the relay and
the publisher once, drains the queue and returns.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from tipline import logs
from tipline.db import make_engine
from tipline.queue_contract import INTAKE_ALLOWLIST, INTAKE_QUEUE
from tipline.settings import Settings
from tipline.workers import make_worker
from triage import audit, intake, jobs, messages, publishing, scheduler

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


def publish_once(sessions: sessionmaker[Session], redis: Redis, _settings: Settings) -> int:
    """Publish the directory once, never raising; returns the version sent (0: not sent)."""
    try:
        with sessions() as session:
            version = publishing.publish_directory(session, redis)
    except RedisError as exc:
        log.warning("directory: Redis unavailable (%s); will retry", exc.__class__.__name__)
        return 0
    except SQLAlchemyError as exc:
        log.warning(
            "directory: triage database unavailable (%s); will retry", exc.__class__.__name__
        )
        return 0
    log.info("directory published (version %d)", version)
    return version


class RelayThread(threading.Thread):
    """Runs ``task`` (``relay_once`` by default) every ``interval`` seconds until ``stop()``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        redis: Redis,
        settings: Settings,
        task: Callable[[sessionmaker[Session], Redis, Settings], int] = relay_once,
        interval: int | None = None,
        name: str = "triage-message-relay",
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._sessions = sessions
        self._redis = redis
        self._settings = settings
        self._task = task
        self._interval = interval or settings.relay_interval_seconds
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            self._task(self._sessions, self._redis, self._settings)
            self._stopping.wait(self._interval)

    def stop(self) -> None:
        self._stopping.set()


def warm_up(context: jobs.IntakeContext) -> None:
    """Do once, in this process, what every forked job would otherwise redo.

    The forking worker starts each job from this process's state. Setting up SQLAlchemy's
    mappers and compiling the lookups every job starts with, here, saves each job about 20 ms
    (bench/intake.py). The lookups only read (nothing waits for a writer), and the connection is
    closed again before any fork. A database that is not reachable yet is not an error here.
    """
    configure_mappers()
    try:
        with context.sessions() as session:
            intake.held_outcome(session, str(uuid.UUID(int=0)))
            session.rollback()
    except SQLAlchemyError as exc:
        log.warning("warm-up skipped: triage database unavailable (%s)", exc.__class__.__name__)
    finally:
        context.engine.dispose()


def run(settings: Settings, burst: bool = False) -> None:
    """Work the intake queue (forever, or until it is empty with ``burst=True``).

    Keys and rules are loaded once here, before jobs are forked, so a broken rules file or key
    stops the worker at start rather than dead-lettering every report.
    """
    logs.configure(settings.log_level)
    context = jobs.configure(settings)
    warm_up(context)
    assert settings.triage_database_url and settings.redis_url
    relay_engine = make_engine(settings.triage_database_url)
    relay_sessions = audit.triage_sessions(relay_engine, settings)
    relay_redis = Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=10)
    worker = make_worker([INTAKE_QUEUE], INTAKE_ALLOWLIST, context.redis)
    try:
        if burst:
            relay_once(relay_sessions, relay_redis, settings)
            publish_once(relay_sessions, relay_redis, settings)
            scheduler.tick_locked(relay_sessions, relay_redis, settings)
            relay_engine.dispose()  # nothing of it is left open while jobs are forked
            worker.work(burst=True)
            return
        threads = [
            RelayThread(relay_sessions, relay_redis, settings),
            RelayThread(
                relay_sessions,
                relay_redis,
                settings,
                task=publish_once,
                interval=settings.directory_publish_seconds,
                name="triage-directory-publisher",
            ),
            RelayThread(
                relay_sessions,
                relay_redis,
                settings,
                task=scheduler.tick_locked,
                interval=settings.scheduler_interval_seconds,
                name="triage-scheduler",
            ),
        ]
        for thread in threads:
            thread.start()
        try:
            # RQ handles SIGTERM/SIGINT: it finishes the current job, then returns.
            worker.work()
        finally:
            for thread in threads:
                thread.stop()
            for thread in threads:
                thread.join(timeout=10)
    finally:
        relay_engine.dispose()
        relay_redis.close()
