"""Diagnostic only: the intake job, or the no-op job, under RQ's in-process worker class.

``python -m bench.simple_worker intake|noop`` runs ``make_worker(..., simple=True)`` (the
``AllowlistSimpleWorker``: jobs run in the worker process itself, no fork). Production runs the
forking class (``tipline worker intake``); this shows what the fork per job costs.
"""

from __future__ import annotations

import sys

from redis import Redis

from bench.noop import NOOP_JOB, NOOP_QUEUE
from tipline import logs
from tipline.queue_contract import INTAKE_ALLOWLIST, INTAKE_QUEUE
from tipline.settings import load_settings
from tipline.workers import make_worker


def main(kind: str) -> None:
    settings = load_settings()
    logs.configure(settings.log_level)
    if kind == "intake":
        from triage import jobs

        connection = jobs.configure(settings.require_triage()).redis
        worker = make_worker([INTAKE_QUEUE], INTAKE_ALLOWLIST, connection, simple=True)
    else:
        assert settings.redis_url
        connection = Redis.from_url(settings.redis_url)
        worker = make_worker([NOOP_QUEUE], frozenset({NOOP_JOB}), connection, simple=True)
    worker.work()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "noop")
