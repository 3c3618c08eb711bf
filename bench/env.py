"""The benchmark environment: Redis, scratch databases, unit keys and secrets on this machine.

- Redis: ``REDIS_URL`` when given (nothing is flushed; the run refuses to start if Tipline's
  queues there are not empty, and empties only the queues it filled), else an embedded
  ``redis-server`` started on a free loopback port and stopped at the end.
- Databases: ``PORTAL_DATABASE_URL`` / ``TRIAGE_DATABASE_URL`` when given (e.g. PostgreSQL).
  They must be scratch databases: the run refuses to start if they hold Tipline rows (unless
  ``--wipe``), and empties them between benchmarks. Else fresh SQLite files in a temporary
  folder, one pair per benchmark. Either way they are migrated with the real migrations.
- Keys: a fresh hybrid (ML-KEM-768+X25519) unit key pair; secrets: random per run.
- Everything runs in production mode, with production defaults (Argon2id included), except the
  submit rate limit, which is raised so that one loopback client address can load the portal.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tipline import keys, schema_migrations
from tipline.embedded_redis import EmbeddedRedis
from tipline.queue_contract import INTAKE_QUEUE, PORTAL_QUEUE, queue
from tipline.settings import Settings, load_settings

# Every client of a benchmark comes from 127.0.0.1, so they all share one rate-limit bucket.
# The limiter still counts every request in Redis, as in production.
BENCH_SUBMIT_RATE_LIMIT = "1000000 per minute"
SIDES = ("portal", "triage")
_OWN_PREFIXES = ("TIPLINE_", "PORTAL_", "TRIAGE_")


class BenchRefused(RuntimeError):
    """The environment given to the benchmarks is not safe to use; the message says why."""


def python() -> str:
    """The interpreter running the benchmarks (the project's virtualenv under ``make bench``)."""
    return sys.executable


def _tables_with_rows(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            return [
                name
                for name in names
                if conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None
            ]
    finally:
        engine.dispose()


def empty_database(url: str) -> None:
    """Delete every row of every Tipline table (the schema and its revision stay)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            names = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            if not names:
                return
            if engine.dialect.name == "postgresql":
                quoted = ", ".join(f'"{name}"' for name in names)
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                conn.execute(text("PRAGMA foreign_keys=OFF"))
                for name in names:
                    conn.execute(text(f'DELETE FROM "{name}"'))
    finally:
        engine.dispose()


@dataclass
class BenchEnv:
    """One benchmark run's surroundings. Use ``BenchEnv.start()``; ``close()`` at the end."""

    root: Path
    redis_url: str
    given_urls: dict[str, str]
    key_dirs: dict[str, Path]
    secrets: dict[str, str]
    embedded_redis: EmbeddedRedis | None = None
    _serial: int = 0
    _used_given: bool = False
    results: dict[str, float] = field(default_factory=dict)  # figures later benchmarks reuse

    @classmethod
    def start(cls, environ: dict[str, str] | None = None, wipe: bool = False) -> BenchEnv:
        env = dict(os.environ if environ is None else environ)
        root = Path(tempfile.mkdtemp(prefix="tipline-bench-"))
        given = {
            side: env[f"{side.upper()}_DATABASE_URL"]
            for side in SIDES
            if env.get(f"{side.upper()}_DATABASE_URL")
        }
        for side, url in given.items():
            schema_migrations.upgrade(side, url)
            busy = _tables_with_rows(url)
            if busy and not wipe:
                shutil.rmtree(root, ignore_errors=True)
                raise BenchRefused(
                    f"{side.upper()}_DATABASE_URL holds rows ({', '.join(busy)}). The benchmarks "
                    "empty the databases they are given: give them scratch databases, or pass "
                    "--wipe if this one may be emptied."
                )
        embedded = None
        redis_url = env.get("REDIS_URL", "")
        if redis_url:
            conn = Redis.from_url(redis_url)
            try:
                waiting = {name: len(queue(name, conn)) for name in (INTAKE_QUEUE, PORTAL_QUEUE)}
            finally:
                conn.close()
            if any(waiting.values()):
                shutil.rmtree(root, ignore_errors=True)
                raise BenchRefused(
                    f"Redis at REDIS_URL has jobs waiting ({waiting}); the benchmarks would run "
                    "or time them. Give them a Redis database of their own."
                )
        else:
            embedded = EmbeddedRedis(root / "redis", persist=False)
            redis_url = embedded.start()
        key_dirs = {"public": root / "keys" / "public", "private": root / "keys" / "private"}
        keys.save(keys.generate(), key_dirs["public"], key_dirs["private"])
        run_secrets = {
            "PORTAL_SECRET_KEY": secrets.token_urlsafe(32),
            "TRIAGE_SECRET_KEY": secrets.token_urlsafe(32),
            "TIPLINE_RECEIPT_PEPPER": secrets.token_urlsafe(32),
            "TIPLINE_AUDIT_KEY": secrets.token_urlsafe(32),
            "TIPLINE_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
            "TIPLINE_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        }
        return cls(root, redis_url, given, key_dirs, run_secrets, embedded)

    @property
    def backend(self) -> str:
        urls = list(self.given_urls.values())
        return make_url(urls[0]).get_backend_name() if urls else "sqlite"

    @property
    def backend_label(self) -> str:
        return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(self.backend, self.backend)

    def databases(self) -> dict[str, str]:
        """Migrated, empty databases for one benchmark: ``{"portal": url, "triage": url}``."""
        self._serial += 1
        urls: dict[str, str] = {}
        for side in SIDES:
            if side in self.given_urls:
                url = self.given_urls[side]
                empty_database(url)
                self._used_given = True
            else:
                folder = self.root / f"db-{self._serial}"
                folder.mkdir(parents=True, exist_ok=True)
                url = f"sqlite:///{folder / (side + '.db')}"
                schema_migrations.upgrade(side, url)
            urls[side] = url
        return urls

    def environ(self, databases: dict[str, str], **overrides: str) -> dict[str, str]:
        """Environment for a Tipline process: production mode, this run's keys and secrets."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
        inherited.pop("REDIS_URL", None)
        data_dir = self.root / "data"
        data_dir.mkdir(exist_ok=True)
        return (
            inherited
            | self.secrets
            | {
                "TIPLINE_ENV": "production",
                "TIPLINE_DATA_DIR": str(data_dir),
                "PORTAL_DATABASE_URL": databases["portal"],
                "TRIAGE_DATABASE_URL": databases["triage"],
                "REDIS_URL": self.redis_url,
                "TIPLINE_PUBLIC_KEY_DIR": str(self.key_dirs["public"]),
                "TIPLINE_PRIVATE_KEY_DIR": str(self.key_dirs["private"]),
                "TIPLINE_SUBMIT_RATE_LIMIT": BENCH_SUBMIT_RATE_LIMIT,
                "TIPLINE_LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
            | overrides
        )

    def settings(self, databases: dict[str, str], **overrides: str) -> Settings:
        return load_settings(self.environ(databases, **overrides))

    def receipt_cost(self, overrides: dict[str, str]) -> tuple[int, int]:
        """(memory KiB, passes) of the receipt Argon2id the portal will use in this run."""
        settings = self.settings({"portal": "", "triage": ""}, **overrides)
        return settings.receipt_argon2_memory_kib, settings.receipt_argon2_iterations

    def release(self, databases: dict[str, str]) -> None:
        """After a benchmark: empty given databases, drop its queued jobs, delete SQLite files."""
        for side, url in databases.items():
            if side in self.given_urls:
                empty_database(url)
            elif url.startswith("sqlite:///"):
                shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
        conn = Redis.from_url(self.redis_url)
        try:
            for name in (INTAKE_QUEUE, PORTAL_QUEUE):
                queue(name, conn).empty()
        finally:
            conn.close()

    def close(self) -> None:
        if self.embedded_redis is not None:
            self.embedded_redis.stop()
        shutil.rmtree(self.root, ignore_errors=True)
