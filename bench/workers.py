"""Watching RQ workers from outside: when their queue started draining, when they finished."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis
from rq import worker_registration

from bench.procs import Process
from tipline.queue_contract import queue


def worker_keys(conn: Redis, queue_name: str) -> set[str]:
    return set(worker_registration.get_keys(queue=queue(queue_name, conn), connection=conn))


def jobs_done(conn: Redis, keys: set[str]) -> tuple[int, int]:
    """(finished, failed) jobs of the workers with these Redis keys."""
    done = failed = 0
    for key in keys:
        ok, bad = conn.hmget(key, "successful_job_count", "failed_job_count")
        done += int(ok or 0) + int(bad or 0)
        failed += int(bad or 0)
    return done, failed


def drain(
    conn: Redis,
    queue_name: str,
    count: int,
    start: Callable[[], Process],
    timeout: float = 300,
) -> tuple[float, int, Process]:
    """Start a worker on ``count`` waiting jobs; (seconds from first job taken to last
    finished, failed jobs, the process). Polls Redis every 2 ms over loopback.
    """
    q = queue(queue_name, conn)
    before = worker_keys(conn, queue_name)
    process = start()
    deadline = time.monotonic() + timeout

    def check(what: str) -> None:
        problem = None
        if not process.alive():
            problem = process.fail("exited")
        elif time.monotonic() > deadline:
            problem = process.fail(f"{what} within {timeout:.0f} s")
        if problem is not None:
            process.stop()
            raise problem

    while len(q) >= count:
        check("took no job")
        time.sleep(0.002)
    first = time.perf_counter()
    keys: set[str] = set()
    while True:
        keys = keys or worker_keys(conn, queue_name) - before
        done, failed = jobs_done(conn, keys)
        if done >= count:
            return time.perf_counter() - first, failed, process
        check(f"did not finish {count} jobs")
        time.sleep(0.002)
