"""RQ workers that run only an allowlist of job functions.

Anyone who can write to Redis can craft a job. RQ would import and call whatever dotted path
the job names, and its success/failure/stopped callbacks too. These worker classes check the
job before anything is imported: a job outside the allowlist, or one that asks for callbacks,
is logged (id and function name only, never arguments) and moved to the failed registry
without running.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from tipline.queue_contract import queue

log = logging.getLogger("tipline.workers")


class JobRefused(Exception):
    """A job was not in this worker's allowlist."""


class _AllowlistMixin:
    allowlist: frozenset[str] = frozenset()

    def refusal_reason(self, job: Job) -> str | None:
        try:
            func_name = job.func_name
            instance = job.instance
        except Exception:
            return "job data cannot be read as JSON"
        if instance is not None:
            return "job names an instance method"
        if func_name not in self.allowlist:
            return f"function {func_name!r} is not allowed on this worker"
        callbacks = (
            job._success_callback_name,
            job._failure_callback_name,
            job._stopped_callback_name,
        )
        if any(callbacks):
            return "job asks for callbacks"
        return None

    def execute_job(self, job: Job, queue: Queue) -> None:
        reason = self.refusal_reason(job)
        if reason is None:
            super().execute_job(job, queue)  # type: ignore[misc]
            return
        log.error("refused job %s on queue %s: %s", job.id, queue.name, reason)
        self.handle_job_failure(job, queue=queue, exc_string=f"refused: {reason}")  # type: ignore[attr-defined]


class AllowlistWorker(_AllowlistMixin, Worker):
    """Forking worker (production): each job runs in a child process."""


class AllowlistSimpleWorker(_AllowlistMixin, SimpleWorker):
    """In-process worker (tests, benchmarks)."""


def make_worker(
    queue_names: Iterable[str],
    allowlist: frozenset[str],
    connection: Redis,
    *,
    simple: bool = False,
    name: str | None = None,
) -> Worker:
    cls = AllowlistSimpleWorker if simple else AllowlistWorker
    worker_cls = type(f"{cls.__name__}", (cls,), {"allowlist": allowlist})
    return worker_cls(
        [queue(n, connection) for n in queue_names],
        connection=connection,
        serializer=JSONSerializer,
        name=name,
    )
