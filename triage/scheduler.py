"""The clock of the triage side: one ``tick`` runs everything that depends on time passing.

In order: SLA warnings and breach escalations (``triage.sla``), paging the next on-call
contact (``triage.paging.advance_due``), sending notifications that are due (first attempts
whose job was lost, and retries), then every hook in ``HOOKS`` (e.g. expiring claims).

A tick keeps no state of its own: everything is in the database, so it survives restarts, and
every step is safe to run twice or concurrently (compare-and-set on the rows it changes, unique
alerts). The intake worker runs it every ``settings.scheduler_interval_seconds``
(``triage.worker``), under a Redis lock so that several workers do not all do the same work;
``tipline scheduler tick [--now ISO]`` runs one by hand.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from redis import Redis
from redis.exceptions import LockError, RedisError
from sqlalchemy.orm import Session, sessionmaker

from tipline.db import transaction
from tipline.settings import Settings
from triage import claims, lifecycle, paging, sla
from triage.notify import outbox

log = logging.getLogger("triage.scheduler")

Hook = Callable[[sessionmaker[Session], Settings, datetime], int]


def expire_claims(sessions: sessionmaker[Session], _settings: Settings, now: datetime) -> int:
    """Claims whose lease ran out: the items go back to the queue."""
    with transaction(sessions) as session:
        return claims.expire_claims(session, now)


def reopen_reviews_due(sessions: sessionmaker[Session], _settings: Settings, now: datetime) -> int:
    """ "Monitor" items whose review date has come go back to the queue."""
    with transaction(sessions) as session:
        return lifecycle.reopen_reviews_due(session, now)


# Extra steps run at the end of every tick: (name in the summary, function returning a count).
HOOKS: list[tuple[str, Hook]] = [
    ("claims_expired", expire_claims),
    ("reviews_due", reopen_reviews_due),
]

STEP_FAILED = -1


def tick(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    *,
    deliver: bool = True,
    hooks: list[tuple[str, Hook]] | None = None,
) -> dict[str, int]:
    """Run every time-based step once, as of ``now`` (default: the current time).

    Returns a summary: ``{"warned", "escalated", "paged", "sent", <hook names>}`` with a count
    each; a step that raised is logged and counts ``-1``, and the other steps still run.
    ``deliver=False`` leaves notifications for the delivery jobs.
    """
    now = now or datetime.now(UTC)
    summary: dict[str, int] = {}

    def step(name: str, run: Callable[[], int | dict[str, int]]) -> None:
        try:
            result = run()
        except Exception as exc:
            log.error("scheduler step %s failed (%s); next tick retries", name, type(exc).__name__)
            summary[name] = STEP_FAILED
            return
        if isinstance(result, dict):
            summary.update(result)
        else:
            summary[name] = result

    step("sla", lambda: sla.run(sessions, settings, now))
    step("paged", lambda: paging.advance_due(sessions, settings, now))
    if deliver:
        step("sent", lambda: outbox.deliver_due(sessions, settings, now))
    for name, hook in HOOKS if hooks is None else hooks:
        step(name, lambda hook=hook: hook(sessions, settings, now))
    if any(summary.values()):
        log.info("scheduler tick: %s", summary)
    return summary


LOCK_NAME = "tipline:scheduler:tick"


def tick_locked(sessions: sessionmaker[Session], redis: Redis, settings: Settings) -> int:
    """The worker's periodic task: one tick, unless another worker is ticking right now (a
    Redis lock; it only saves work, since every step is safe to run concurrently). Never
    raises; returns how many things were done."""
    lock = redis.lock(
        LOCK_NAME, timeout=max(60, 4 * settings.scheduler_interval_seconds), blocking=False
    )
    try:
        held = lock.acquire(blocking=False)
    except RedisError as exc:
        # Without Redis the tick still runs: rows guard against doing anything twice.
        log.warning("scheduler: Redis unavailable (%s); ticking unlocked", type(exc).__name__)
        held = None
    if held is False:
        return 0
    try:
        summary = tick(sessions, settings)
    finally:
        if held:
            with contextlib.suppress(LockError, RedisError):
                lock.release()
    return sum(v for v in summary.values() if v > 0)
