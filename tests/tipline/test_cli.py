"""The ``tipline`` command as an operator uses it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text


def tipline(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tipline.cli", *args],
        env=os.environ | env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def dev_env(tmp_path) -> dict[str, str]:
    return {"TIPLINE_ENV": "development", "TIPLINE_DATA_DIR": str(tmp_path / "data")}


def test_keys_generate_rotate_list(dev_env) -> None:
    assert tipline(dev_env, "keys", "list").stdout.startswith("no unit keys")
    first = tipline(dev_env, "keys", "generate")
    assert first.returncode == 0, first.stderr
    again = tipline(dev_env, "keys", "generate")
    assert again.returncode == 1 and "rotate" in again.stdout
    assert tipline(dev_env, "keys", "rotate", "--suite", "x25519").returncode == 0
    listing = tipline(dev_env, "keys", "list").stdout.splitlines()
    assert len(listing) == 2
    assert listing[0].startswith("mlkem768-x25519-") and listing[0].endswith("can open")
    assert listing[1].startswith("x25519-") and "sealing" in listing[1]


def test_db_upgrade_and_officer_add(dev_env, tmp_path) -> None:
    upgraded = tipline(dev_env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "portal database is at the latest revision" in upgraded.stdout
    added = tipline(
        dev_env,
        "officer",
        "add",
        "alice",
        "--role",
        "supervisor",
        stdin="correct horse battery staple\n",
    )
    assert added.returncode == 0, added.stderr
    duplicate = tipline(
        dev_env, "officer", "add", "alice", "--role", "officer", stdin="another long password\n"
    )
    assert duplicate.returncode == 1 and "alice" in duplicate.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'triage.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT username, role, password_hash FROM officers")).all()
    engine.dispose()
    assert [(r[0], r[1]) for r in rows] == [("alice", "supervisor")]
    assert rows[0][2].startswith("$argon2id$") and "horse" not in rows[0][2]


def test_production_refuses_to_start_without_secrets(tmp_path) -> None:
    result = tipline({"TIPLINE_ENV": "production", "TIPLINE_DATA_DIR": str(tmp_path)}, "portal")
    assert result.returncode == 2
    assert "PORTAL_SECRET_KEY" in result.stderr and "PORTAL_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
