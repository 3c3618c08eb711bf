"""4. The officers' queue at 1 thousand, 100 thousand and 1 million stored items.

Items are generated directly in the triage database (batched inserts), all in one unit, with
the same mix at every size: tiers P1 1% / P2 9% / P3 30% / P4 60%, statuses new 5% /
in review 5% / decided 30% / closed 60% (so 10% are open: 100,000 open items at 1 million),
received over the past year, due per the tier's clock, 0.1% with an unread reply. Every item
carries the same real sealed envelope (as stored by intake: a hybrid-sealed report).

Measured at each size, after the sizes before it (items are added, not regenerated):

- the queue page: ``GET /queue`` (the default view: open items, page 1) over HTTP from the
  officers' app under gunicorn, for an officer logged in through the login form;
- "claim next": ``triage.claims.claim_next`` itself, as the button runs it (the unit's most
  urgent free open item, tier then due time; ``FOR UPDATE SKIP LOCKED`` and a conditional
  ``UPDATE`` on PostgreSQL, the conditional ``UPDATE`` on SQLite, plus its audit event), in a
  transaction that is rolled back so every sample claims from the same queue.

The baseline of every figure is the same figure at the smallest size, in the same run.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from bench import procs
from bench.client import Client, csrf_token
from bench.env import BenchEnv
from bench.options import Options
from bench.reports import sealed_reports
from bench.stats import ms, percentile, ratio
from bench.table import Table
from tipline.db import make_engine, transaction
from triage import claims
from triage.audit import triage_sessions
from triage.models import Officer, QueueItem
from triage.officers import add_officer

TARGET = 2.0  # the page at 1 million within 2x of the page at 1 thousand
BATCH = 20_000
TIER_MIX = ("P1",) * 1 + ("P2",) * 9 + ("P3",) * 30 + ("P4",) * 60
STATUS_MIX = ("new",) * 5 + ("in_review",) * 5 + ("decided",) * 30 + ("closed",) * 60
TIER_DUE = {
    "P1": timedelta(minutes=15),
    "P2": timedelta(hours=4),
    "P3": timedelta(days=2),
    "P4": timedelta(days=7),
}
CATEGORIES = ("threat_of_violence", "weapons", "self_harm", "bullying", "online_posts", "other")
REASON = {"rule": "bench", "text": "Generated for the queue benchmark", "tier": "P4"}


def _rows(unit_id: int, first: int, count: int, body: bytes, key_id: str, now: datetime):
    year = 365 * 24 * 3600
    for n in range(first, first + count):
        # Spread deterministically but not in insertion order (multiplicative hashing).
        spread = (n * 2654435761) % 1_000_003
        tier = TIER_MIX[spread % 100]
        received = now - timedelta(seconds=(spread * 31) % year)
        yield {
            "envelope_id": str(uuid.UUID(int=n + 1)),
            "unit_id": unit_id,
            "purpose": "report",
            "tier": tier,
            "category": CATEGORIES[n % len(CATEGORIES)],
            "received_at": received,
            "due_at": received + TIER_DUE[tier],
            "reasons": [REASON | {"tier": tier}],
            "status": STATUS_MIX[(spread // 100) % 100],
            "sealed_body": body,
            "key_id": key_id,
            "unread_replies": 1 if spread % 1000 == 0 else 0,
        }


def generate(engine: Engine, unit_id: int, first: int, count: int, body: bytes, key_id: str):
    """Insert ``count`` items numbered from ``first``, in batches of ``BATCH`` per commit."""
    now = datetime.now(UTC)
    table = QueueItem.__table__
    rows = _rows(unit_id, first, count, body, key_id, now)
    done = 0
    while done < count:
        batch = [row for _, row in zip(range(min(BATCH, count - done)), rows, strict=False)]
        with engine.begin() as conn:
            conn.execute(insert(table), batch)
        done += len(batch)
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map that lets
        # counts read the index alone.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE queue_items"))


def time_claim_next(sessions: sessionmaker[Session], officer_id: int, samples: int) -> list[float]:
    times = []
    for n in range(samples + 3):
        start = time.perf_counter()
        with sessions() as session:
            officer = session.get(Officer, officer_id)
            assert officer is not None
            claimed = claims.claim_next(session, officer, datetime.now(UTC), 30)
            session.rollback()
        if claimed is None:
            raise RuntimeError("claim next found no open item to claim")
        if n >= 3:
            times.append(time.perf_counter() - start)
    return times


def time_page(client: Client, samples: int) -> list[float]:
    times = []
    for n in range(samples + 3):
        start = time.perf_counter()
        response = client.get("/queue")
        elapsed = time.perf_counter() - start
        if response.status != 200 or "/login" in response.headers.get("Location", ""):
            raise RuntimeError(f"GET /queue answered {response.status}")
        if n >= 3:
            times.append(elapsed)
    return times


def log_in(url: str, username: str, password: str) -> Client:
    client = Client(url)
    page = client.get("/login")
    body = (f"username={username}&password={password}&csrf_token={csrf_token(page.text)}").encode()
    answer = client.post("/login", body, "application/x-www-form-urlencoded")
    if answer.status != 302 or "/login" in answer.headers.get("Location", "/login"):
        raise RuntimeError(f"officer login failed ({answer.status})")
    return client


def run(env: BenchEnv, options: Options) -> Table:
    databases = env.databases()
    settings = env.settings(databases)
    environ = env.environ(databases)
    engine = make_engine(databases["triage"])
    password = secrets.token_urlsafe(18)
    sizes = sorted(options.sizes)
    results: dict[int, dict[str, object]] = {}
    try:
        sessions = triage_sessions(engine, settings)
        with transaction(sessions) as session:
            officer = add_officer(
                session,
                "bench-officer",
                password,
                "officer",
                memory_kib=settings.password_argon2_memory_kib,
            )
            unit_id, officer_id = officer.unit_id, officer.id
        ((_, body),) = sealed_reports(env.key_dirs["public"], 1)
        key_id = next(iter(env.key_dirs["public"].glob("*.pub"))).stem
        stored = 0
        with procs.started(
            procs.triage_server(environ, env.root / "logs", options.web_workers)
        ) as server:
            client = log_in(server.url, "bench-officer", password)
            for size in sizes:
                start = time.perf_counter()
                generate(engine, unit_id, stored, size - stored, body, key_id)
                generated = time.perf_counter() - start
                stored = size
                results[size] = {
                    "page": time_page(client, options.samples),
                    "claim": time_claim_next(sessions, officer_id, options.samples),
                    "generated": generated,
                }
            client.close()
    finally:
        engine.dispose()
        env.release(databases)

    table = Table(
        '4. Queue at scale: the officers\' queue page and "claim next"',
        f"{env.backend_label}, officers' app under gunicorn ({options.web_workers} workers), "
        f"one logged-in officer, {options.samples} sequential requests / queries per size "
        "after 3 warm-ups; items generated in the database, 10% open (see bench/queue_scale.py)."
        " Baseline: the same figure at the smallest size.",
    )
    smallest, largest = sizes[0], sizes[-1]
    base_page = results[smallest]["page"]
    base_claim = results[smallest]["claim"]
    for size in sizes:
        page = results[size]["page"]
        claim = results[size]["claim"]
        is_target = size == largest and largest >= 1_000_000 and smallest <= 1_000
        for q in (50, 95):
            p, b = percentile(page, q), percentile(base_page, q)
            table.add(
                f"GET /queue, {size:,} items, p{q}",
                ms(p),
                ms(b),
                ratio(p, b),
                f"<= {TARGET:g}x" if is_target and q == 50 else "",
                (p <= TARGET * b) if is_target and q == 50 else None,
            )
        for q in (50, 95):
            c, b = percentile(claim, q), percentile(base_claim, q)
            table.add(
                f"claim next (claims.claim_next, rolled back), {size:,} items, p{q}",
                ms(c),
                ms(b),
                ratio(c, b),
            )
    table.note(
        "Generating the items took "
        + ", ".join(f"{results[s]['generated']:.0f} s to reach {s:,}" for s in sizes)
        + " (not measured above)."
    )
    return table
