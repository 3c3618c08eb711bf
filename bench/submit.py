"""1. Submit path: the real report form under gunicorn, beside a bare Flask form endpoint.

Both servers run with the production gunicorn options (``tipline.webserver``) and N workers;
K client threads each fetch the form once (cookie and CSRF token), then POST the same
multipart form back to back with that token. Only POSTs are timed, for both servers.

The portal does everything it does in production on each POST: CSRF check, rate limit (a
counter in Redis; the limit is raised so that one loopback address can load it), form
validation, a new receipt code and its Argon2id derivation at the production cost, sealing to
the unit's hybrid key, the outbox commit, and the enqueue on ``intake``.
"""

from __future__ import annotations

import contextlib
import time

from redis import Redis
from sqlalchemy import create_engine, func, select

from bench import procs
from bench.client import REPORT_FIELDS, Client, csrf_token, multipart, receipt_code
from bench.env import BenchEnv
from bench.load import LoadResult, closed_loop
from bench.options import Options
from bench.stats import ms, percentile, rate, ratio
from bench.table import Table
from portal.models import OutboxEnvelope
from portal.receipts import ReceiptDeriver
from tipline.queue_contract import INTAKE_QUEUE, queue

TARGET = 0.5  # portal throughput at least half the bare baseline


def prepare_client(url: str) -> tuple[Client, bytes, str]:
    client = Client(url)
    page = client.get("/report")
    if page.status != 200:
        raise RuntimeError(f"GET /report answered {page.status}")
    body, content_type = multipart(REPORT_FIELDS | {"csrf_token": csrf_token(page.text)})
    return client, body, content_type


def post_report(state: tuple[Client, bytes, str]) -> None:
    client, body, content_type = state
    response = client.post("/report", body, content_type)
    if response.status != 200 or receipt_code(response.text) is None:
        raise RuntimeError(f"POST /report answered {response.status} without a receipt code")


def post_bare(state: tuple[Client, bytes, str]) -> None:
    client, body, content_type = state
    response = client.post("/report", body, content_type)
    if response.status != 200:
        raise RuntimeError(f"POST /report answered {response.status}")


def measure(url: str, portal: bool, options: Options) -> LoadResult:
    return closed_loop(
        lambda: prepare_client(url),
        post_report if portal else post_bare,
        clients=options.clients,
        warmup=options.warmup,
        duration=options.duration,
    )


def kdf_seconds(memory_kib: int, iterations: int, count: int) -> float:
    """Median time of one receipt derivation in this process (nothing else running)."""
    deriver = ReceiptDeriver(b"bench-pepper", memory_kib, iterations)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        deriver.issue()
        times.append(time.perf_counter() - start)
    return percentile(times, 50)


def _outbox_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(OutboxEnvelope)) or 0)
    finally:
        engine.dispose()


def _serve_and_measure(
    env: BenchEnv, options: Options, portal: bool, **overrides: str
) -> tuple[LoadResult, int, int]:
    """(load result, outbox rows, jobs queued) for the portal or the bare app."""
    databases = env.databases()
    environ = env.environ(databases, **overrides)
    logs = env.root / "logs"
    start = procs.portal_server if portal else procs.bare_server
    try:
        with procs.started(start(environ, logs, options.web_workers)) as server:
            result = measure(server.url, portal, options)
        rows = _outbox_rows(databases["portal"]) if portal else 0
        conn = Redis.from_url(env.redis_url)
        with contextlib.closing(conn):
            queued = len(queue(INTAKE_QUEUE, conn))
    finally:
        env.release(databases)
    return result, rows, queued


def run(env: BenchEnv, options: Options) -> Table:
    memory, passes = env.receipt_cost(options.receipt_overrides())
    bare, _, _ = _serve_and_measure(env, options, portal=False)
    real, rows, queued = _serve_and_measure(
        env, options, portal=True, **options.receipt_overrides()
    )
    env.results["submit_capacity"] = real.throughput

    table = Table(
        "1. Submit path: POST /report under gunicorn",
        f"{env.backend_label}, {options.web_workers} gunicorn workers x 4 threads (production "
        f"options), {options.clients} clients, {options.duration:g} s measured after "
        f"{options.warmup:g} s warm-up. Receipt code: {options.receipt_label(memory, passes)}.",
    )
    table.add(
        "reports/s (portal) vs requests/s (bare Flask)",
        rate(real.throughput, "reports"),
        rate(bare.throughput, "req"),
        ratio(real.throughput, bare.throughput),
        f">= {TARGET}x",
        real.throughput >= TARGET * bare.throughput,
    )
    for q in (50, 99):
        portal_q, bare_q = percentile(real.latencies, q), percentile(bare.latencies, q)
        table.add(f"POST latency p{q}", ms(portal_q), ms(bare_q), ratio(portal_q, bare_q))
    if real.errors or bare.errors:
        table.add("errors (portal / bare)", f"{real.errors} / {bare.errors}")
        table.note(f"first error: {real.first_error or bare.first_error}")
    table.add("reports committed to the outbox / enqueued", f"{rows} / {queued}")

    if options.diagnostics:
        one = kdf_seconds(memory, passes, 3 if options.quick else 8)
        ceiling = options.web_workers / one
        table.add(
            "diagnostic: one receipt derivation, alone in one process",
            ms(one),
            "",
            "",
            f"ceiling ~{ceiling:.0f} reports/s with {options.web_workers} processes",
        )
        cheap, _, _ = _serve_and_measure(
            env,
            options,
            portal=True,
            TIPLINE_RECEIPT_ARGON2_MEMORY_KIB="64",
            TIPLINE_RECEIPT_ARGON2_ITERATIONS="1",
        )
        table.add(
            "diagnostic: portal with the receipt Argon2id cut to 64 KiB, 1 pass (NOT a "
            "supported setting)",
            rate(cheap.throughput, "reports"),
            rate(bare.throughput, "req"),
            ratio(cheap.throughput, bare.throughput),
        )
        table.note(
            "The diagnostic rows show where the time goes: the portal minus its receipt "
            "derivation. Production always derives at the cost in the setup line."
        )
    table.note(
        "Clients are threads of the benchmark process on the same cores as the servers; both "
        "servers see the same clients, protocol and form bytes."
    )
    return table
