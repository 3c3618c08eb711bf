"""3. End to end: from the reporter's POST returning to the item being visible in the queue.

The whole system runs as in production: the portal under gunicorn (N workers), one intake
worker and one portal worker (``tipline worker intake|portal``), one Redis, the two databases.
Reports arrive at a steady rate of half the submit capacity measured earlier in the same run
(benchmark 1; when run alone, a short closed-loop probe of this portal measures it). Each client
fetched its form beforehand; only the POST is part of the load.

"Visible" is when the item's row is committed in the triage database, seen by a poller that
reads new rows every 10 ms. The POST's receipt code is matched to its envelope afterwards (the
code's lookup id, derived once the load is over, is in the portal's receipt row).

Baseline: the same rate of RQ no-op jobs through the same worker class, enqueue to end,
from RQ's own timestamps.
"""

from __future__ import annotations

import contextlib
import os
import queue as queues
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from redis import Redis
from rq.job import Job
from sqlalchemy import select

from bench import procs
from bench.client import Client, receipt_code
from bench.env import BenchEnv
from bench.load import closed_loop, open_loop
from bench.noop import NOOP_QUEUE, enqueue_noop
from bench.options import Options
from bench.stats import ms, percentile, rate, ratio
from bench.submit import post_report, prepare_client
from bench.table import Table
from bench.workers import worker_keys
from portal.models import Receipt
from portal.receipts import ReceiptDeriver
from tipline.db import make_engine, session_factory
from tipline.queue_contract import queue
from triage.models import QueueItem

TARGET_P99 = 1.0  # seconds
POLL_SECONDS = 0.01
MAX_IN_FLIGHT = 16


class Poller(threading.Thread):
    """Notes when each new queue item becomes visible (perf_counter), polling every 10 ms."""

    def __init__(self, url: str) -> None:
        super().__init__(name="visibility-poller", daemon=True)
        self.engine = make_engine(url)
        self.seen: dict[str, float] = {}
        self._last_id = 0
        self._halt = threading.Event()

    def run(self) -> None:
        sessions = session_factory(self.engine)
        while not self._halt.is_set():
            with sessions() as session:
                rows = session.execute(
                    select(QueueItem.id, QueueItem.envelope_id)
                    .where(QueueItem.id > self._last_id)
                    .order_by(QueueItem.id)
                ).all()
            now = time.perf_counter()
            for item_id, envelope_id in rows:
                self.seen.setdefault(envelope_id, now)
                self._last_id = max(self._last_id, item_id)
            self._halt.wait(POLL_SECONDS)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=10)
        self.engine.dispose()


def _lookup_id(args: tuple[bytes, int, int, str]) -> str:
    pepper, memory, passes, code = args
    return ReceiptDeriver(pepper, memory, passes).derive(code).lookup_id


def _envelopes_for(codes: list[str], env: BenchEnv, url: str, memory: int, passes: int):
    """receipt code -> envelope id, via the lookup id each code derives to."""
    pepper = env.secrets["TIPLINE_RECEIPT_PEPPER"].encode()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        lookups = list(pool.map(_lookup_id, [(pepper, memory, passes, c) for c in codes]))
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            rows = dict(session.execute(select(Receipt.lookup_id, Receipt.envelope_id)).all())
    finally:
        engine.dispose()
    return {code: rows.get(lookup) for code, lookup in zip(codes, lookups, strict=True)}


def _wait_visible(poller: Poller, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(poller.seen) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def noop_latencies(env: BenchEnv, per_second: float, seconds: float) -> list[float]:
    """Enqueue-to-end latency of no-op jobs at ``per_second``, same worker class."""
    conn = Redis.from_url(env.redis_url)
    environ = env.environ({"portal": "", "triage": ""})
    ids: list[str] = []
    try:
        with procs.started(
            procs.worker("noop-e2e", ["-m", "bench.noop"], environ, env.root / "logs")
        ) as worker:
            deadline = time.monotonic() + 60
            while not worker_keys(conn, NOOP_QUEUE):
                if not worker.alive() or time.monotonic() > deadline:
                    raise worker.fail("did not register with Redis")
                time.sleep(0.05)

            def enqueue() -> str:
                job_id = os.urandom(8).hex()
                enqueue_noop(conn, job_id, "x" * 2700, result_ttl=600)
                return f"noop-{job_id}"

            arrivals = open_loop(enqueue, per_second, seconds, max_in_flight=4)
            ids = [a.value for a in arrivals if a.value]
            serializer = queue(NOOP_QUEUE, conn).serializer
            deadline = time.monotonic() + 60
            while True:
                jobs = Job.fetch_many(ids, connection=conn, serializer=serializer)
                finished = all(job is None or job.ended_at for job in jobs)
                if finished or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
    finally:
        queue(NOOP_QUEUE, conn).empty()
        conn.close()
    out = []
    for job in jobs:
        if job is not None and job.enqueued_at and job.ended_at:
            out.append((job.ended_at - job.enqueued_at).total_seconds())
    return out


def _probe_capacity(url: str, options: Options) -> float:
    result = closed_loop(
        lambda: prepare_client(url),
        post_report,
        clients=options.clients,
        warmup=1.0,
        duration=max(2.0, options.duration / 3),
    )
    return result.throughput


def run(env: BenchEnv, options: Options) -> Table:
    databases = env.databases()
    environ = env.environ(databases, **options.receipt_overrides())
    memory, passes = env.receipt_cost(options.receipt_overrides())
    logs = env.root / "logs"
    capacity = env.results.get("submit_capacity")
    measured_here = capacity is None
    submitted: list[tuple[float, str]] = []  # (POST returned, receipt code)
    errors: list[str] = []
    post_times: list[float] = []
    late = 0
    poller = Poller(databases["triage"])
    try:
        with contextlib.ExitStack() as stack:
            portal = stack.enter_context(
                procs.started(procs.portal_server(environ, logs, options.web_workers))
            )
            if capacity is None:
                capacity = _probe_capacity(portal.url, options)
            stack.enter_context(
                procs.started(
                    procs.worker("intake", ["-m", "tipline.cli", "worker", "intake"], environ, logs)
                )
            )
            stack.enter_context(
                procs.started(
                    procs.worker(
                        "portal-worker", ["-m", "tipline.cli", "worker", "portal"], environ, logs
                    )
                )
            )
            poller.start()
            if measured_here:  # the probe's reports: let intake catch up first
                time.sleep(1.0)
                _wait_visible(poller, 1, 60)
                time.sleep(2.0)
            already = len(poller.seen)
            per_second = max(0.2, capacity / 2)
            clients: queues.Queue[tuple[Client, bytes, str]] = queues.Queue()
            for _ in range(MAX_IN_FLIGHT):
                clients.put(prepare_client(portal.url))

            def post() -> tuple[float, str]:
                client, body, content_type = clients.get()
                try:
                    start = time.perf_counter()
                    response = client.post("/report", body, content_type)
                    returned = time.perf_counter()
                finally:
                    clients.put((client, body, content_type))
                code = receipt_code(response.text)
                if response.status != 200 or code is None:
                    raise RuntimeError(f"POST /report answered {response.status}")
                post_times.append(returned - start)
                return returned, code

            arrivals = open_loop(post, per_second, options.e2e_duration, MAX_IN_FLIGHT)
            for arrival in arrivals:
                if arrival.value is not None:
                    submitted.append(arrival.value)
                else:
                    errors.append(arrival.error or "?")
                if arrival.started - arrival.scheduled > 0.1:
                    late += 1
            _wait_visible(poller, already + len(submitted), 120)
            while not clients.empty():
                clients.get()[0].close()
        poller.stop()
        envelope_of = _envelopes_for(
            [code for _, code in submitted], env, databases["portal"], memory, passes
        )
    finally:
        poller.stop()
        env.release(databases)

    latencies = []
    missing = 0
    for returned, code in submitted:
        visible = poller.seen.get(envelope_of.get(code) or "")
        if visible is None:
            missing += 1
        else:
            latencies.append(max(0.0, visible - returned))
    baseline = noop_latencies(env, per_second, min(options.e2e_duration, 10.0))

    table = Table(
        "3. End to end: POST returned -> item visible in the queue",
        f"{env.backend_label}, portal under gunicorn ({options.web_workers} workers), one intake "
        f"worker, one portal worker; {per_second:.1f} reports/s for {options.e2e_duration:g} s ="
        f" half of {capacity:.1f} reports/s submit capacity"
        + (" (probed here)" if measured_here else " (benchmark 1)")
        + f". Receipt code: {options.receipt_label(memory, passes)}. Baseline: RQ no-op jobs at "
        "the same rate, same worker class, enqueue to end.",
    )
    for q in (50, 99):
        figure, base = percentile(latencies, q), percentile(baseline, q)
        table.add(
            f"POST returned -> visible, p{q}",
            ms(figure),
            ms(base),
            ratio(figure, base),
            f"< {TARGET_P99 * 1000:.0f} ms" if q == 99 else "",
            (figure < TARGET_P99) if q == 99 else None,
        )
    table.add(
        "reports submitted / visible / not visible",
        f"{len(submitted)} / {len(latencies)} / {missing}",
    )
    table.add(
        "POST latency under this load, p50 / p99",
        f"{ms(percentile(post_times, 50))} / {ms(percentile(post_times, 99))}",
    )
    offered = len(submitted) + len(errors)
    table.add("arrivals started over 100 ms late (client saturated)", f"{late} of {offered}")
    if errors:
        table.add("failed POSTs", str(len(errors)))
        table.note(f"first error: {errors[0]}")
    table.note(f"the load offered {rate(per_second, 'reports')}; ended {datetime.now():%H:%M:%S}")
    return table
