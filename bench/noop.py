"""RQ's own floor: a job that does nothing, run by the same worker class as intake.

``python -m bench.noop`` runs ``tipline.workers.make_worker`` (the forking, allowlisting
``AllowlistWorker`` that ``tipline worker intake`` runs) on queue ``bench-noop`` with an
allowlist of ``bench.noop.noop`` only, configured like the intake worker (``tipline.logs``,
RQ's default log level, JSON serializer).
"""

from __future__ import annotations

from redis import Redis

from tipline import logs
from tipline.queue_contract import (
    FAILURE_TTL_SECONDS,
    JOB_TIMEOUT_SECONDS,
    RESULT_TTL_SECONDS,
    queue,
)
from tipline.settings import load_settings
from tipline.workers import make_worker

NOOP_QUEUE = "bench-noop"
NOOP_JOB = "bench.noop.noop"


def noop(*_args: object) -> None:
    """The job: takes the same arguments as an ingest job and does nothing with them."""


def enqueue_noop(
    connection: Redis, job_id: str, payload: str, result_ttl: int = RESULT_TTL_SECONDS
) -> None:
    """Enqueue like ``tipline.queue_contract.enqueue_ingest`` does, with the same payload."""
    queue(NOOP_QUEUE, connection).enqueue(
        NOOP_JOB,
        job_id,
        payload,
        job_id=f"noop-{job_id}",
        description=f"noop {job_id}",
        job_timeout=JOB_TIMEOUT_SECONDS,
        result_ttl=result_ttl,
        failure_ttl=FAILURE_TTL_SECONDS,
    )


def main() -> None:
    settings = load_settings()
    logs.configure(settings.log_level)
    assert settings.redis_url
    worker = make_worker([NOOP_QUEUE], frozenset({NOOP_JOB}), Redis.from_url(settings.redis_url))
    worker.work()


if __name__ == "__main__":
    main()
