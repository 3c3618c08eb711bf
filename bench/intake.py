"""2. Intake: reports per second through the intake worker, beside RQ's no-op throughput.

Real sealed reports (``bench.reports``) are put on queue ``intake`` with the portal's own
``enqueue_ingest``, then one intake worker is started exactly as in production
(``tipline worker intake``: the forking ``AllowlistWorker``, one child process per job). Each job
opens the envelope, validates and scores it, stores the queue item, commits and enqueues the
acknowledgement. The baseline is the same number of no-op jobs with the same arguments through
the same worker class (``bench.noop``). Timed from the first job taken to the last finished.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import func, select

from bench import procs
from bench.env import BenchEnv
from bench.noop import NOOP_QUEUE, enqueue_noop
from bench.options import Options
from bench.reports import sealed_reports
from bench.stats import ms, percentile, rate, ratio
from bench.table import Table
from bench.workers import drain
from tipline.db import make_engine, session_factory
from tipline.queue_contract import INTAKE_QUEUE, b64, enqueue_ingest, queue
from tipline.settings import Settings
from triage import jobs as triage_jobs
from triage.models import DeadLetter, QueueItem

TARGET = 0.5


def _count(url: str, model: type) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def measure_intake(env: BenchEnv, reports: list[tuple[str, bytes]], simple: bool = False) -> dict:
    databases = env.databases()
    environ = env.environ(databases)
    conn = Redis.from_url(env.redis_url)
    try:
        for envelope_id, sealed in reports:
            enqueue_ingest(conn, envelope_id, sealed)

        def start() -> procs.Process:
            args = ["-m", "tipline.cli", "worker", "intake"]
            if simple:
                args = ["-m", "bench.simple_worker", "intake"]
            return procs.worker("intake-worker", args, environ, env.root / "logs")

        seconds, failed, worker = drain(conn, INTAKE_QUEUE, len(reports), start)
        worker.stop()
        if failed:
            print(f"intake worker: {failed} jobs failed; its log ends:\n{worker.log_tail()}")
        stored = _count(databases["triage"], QueueItem)
        dead = _count(databases["triage"], DeadLetter)
    finally:
        conn.close()
        env.release(databases)
    return {"seconds": seconds, "failed": failed, "stored": stored, "dead": dead}


def measure_noop(env: BenchEnv, reports: list[tuple[str, bytes]], simple: bool = False) -> float:
    environ = env.environ({"portal": "", "triage": ""})
    conn = Redis.from_url(env.redis_url)
    try:
        for envelope_id, sealed in reports:
            enqueue_noop(conn, envelope_id, b64(sealed))

        def start() -> procs.Process:
            args = ["-m", "bench.simple_worker", "noop"] if simple else ["-m", "bench.noop"]
            return procs.worker("noop-worker", args, environ, env.root / "logs")

        seconds, _, worker = drain(conn, NOOP_QUEUE, len(reports), start)
        worker.stop()
    finally:
        queue(NOOP_QUEUE, conn).empty()
        conn.close()
    return seconds


def in_process_store(settings: Settings, reports: list[tuple[str, bytes]]) -> list[float]:
    """Diagnostic: ``triage.jobs.store`` called directly, one transaction each, no RQ."""
    ctx = triage_jobs.build_context(settings)
    times = []
    try:
        for envelope_id, sealed in reports:
            start = time.perf_counter()
            triage_jobs.store(ctx, envelope_id, b64(sealed))
            times.append(time.perf_counter() - start)
    finally:
        ctx.engine.dispose()
        ctx.redis.close()
    return times


def run(env: BenchEnv, options: Options) -> Table:
    count = options.intake_jobs
    reports = sealed_reports(env.key_dirs["public"], count)
    intake = measure_intake(env, reports)
    noop_seconds = measure_noop(env, reports)
    intake_rate = count / intake["seconds"]
    noop_rate = count / noop_seconds
    env.results["intake_rate"] = intake_rate

    table = Table(
        "2. Intake: reports through one intake worker",
        f"{env.backend_label}, one `tipline worker intake` process (forking AllowlistWorker, "
        f"a child per job), {count} hybrid-sealed reports waiting; baseline: {count} no-op "
        "jobs with the same arguments through the same worker class.",
    )
    table.add(
        "reports/s (intake) vs jobs/s (no-op)",
        rate(intake_rate, "reports"),
        rate(noop_rate, "jobs"),
        ratio(intake_rate, noop_rate),
        f">= {TARGET}x",
        intake_rate >= TARGET * noop_rate,
    )
    table.add(
        "time per job",
        ms(intake["seconds"] / count),
        ms(noop_seconds / count),
        ratio(intake["seconds"], noop_seconds),
    )
    table.add(
        "stored / dead letters / failed jobs",
        f"{intake['stored']} / {intake['dead']} / {intake['failed']}",
    )
    if options.diagnostics:
        databases = env.databases()
        try:
            sample = reports[: min(count, 100)]
            times = in_process_store(env.settings(databases), sample)
        finally:
            env.release(databases)
        table.add(
            "diagnostic: the job's work in-process (open, validate, score, store, commit), "
            "p50 / p99",
            f"{ms(percentile(times, 50))} / {ms(percentile(times, 99))}",
        )
        simple = measure_intake(env, reports, simple=True)
        simple_noop = measure_noop(env, reports, simple=True)
        table.add(
            "diagnostic: both again under RQ's in-process worker class (SimpleWorker, no fork; "
            "NOT what production runs)",
            rate(count / simple["seconds"], "reports"),
            rate(count / simple_noop, "jobs"),
            ratio(simple_noop, simple["seconds"]),
        )
        table.note(
            "The first diagnostic row is the intake work without RQ: the rest of a job's time is "
            "the fork, a cold start in the child (new connections, first queries) and RQ's "
            "bookkeeping; the no-op baseline pays the fork and the bookkeeping too."
        )
    table.note(f"measured {datetime.now(UTC):%H:%M:%S} UTC")
    return table
