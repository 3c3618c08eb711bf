"""The audit chain: `tipline audit verify` names an edited or deleted row, the head and anchors
catch a deleted tail or a truncated log, triggers refuse UPDATE and DELETE, concurrent writers
keep the chain gapless, and a session without the key cannot write an event."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from tipline import cli
from tipline.db import make_engine, session_factory, transaction
from triage.audit import AuditKeyMissing, record
from triage.audit_verify import verify
from triage.models import AuditEvent, AuditHead

SQLITE_TRIGGERS = (
    "audit_events_chained_insert",
    "audit_events_no_update",
    "audit_events_no_delete",
    "audit_head_forward_only",
    "audit_head_no_delete",
)


@contextmanager
def superuser(url: str) -> Iterator[Connection]:
    """A connection that gets past the triggers, as an attacker with the database's superuser
    would (PostgreSQL: replica mode skips triggers; SQLite: drop them)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                for name in SQLITE_TRIGGERS:
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
            yield conn
    finally:
        engine.dispose()


def write_events(sessions: sessionmaker[Session], count: int, action: str = "viewed") -> None:
    for n in range(count):
        with transaction(sessions) as session:
            record(session, action, detail={"n": n})


def ids_by_seq(sessions: sessionmaker[Session]) -> dict[int, int]:
    with sessions() as session:
        return {seq: id_ for seq, id_ in session.execute(select(AuditEvent.seq, AuditEvent.id))}


@pytest.fixture
def audit_cli(env_vars: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys):
    """``audit_cli("verify", ...)`` -> (exit code, stdout + stderr): the real entry point."""
    for name, value in env_vars.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str]:
        code = cli.main(["audit", *args])
        out = capsys.readouterr()
        return code, out.out + out.err

    return run


def test_an_intact_chain_verifies(sessions, audit_cli) -> None:
    write_events(sessions, 4)
    code, output = audit_cli("verify")
    assert code == 0, output
    assert output.strip() == "audit chain intact: 4 events, head seq 4"
    with sessions() as session:
        rows = session.execute(
            select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash).order_by(AuditEvent.id)
        ).all()
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


def test_an_empty_log_verifies(sessions, audit_cli) -> None:
    assert audit_cli("verify") == (0, "audit chain intact: 0 events, head seq 0\n")
    assert audit_cli("head") == (0, "the audit log is empty (no head yet)\n")


def test_editing_a_row_fails_verify_and_names_it(sessions, triage_db_url, audit_cli) -> None:
    write_events(sessions, 5)
    edited = ids_by_seq(sessions)[3]
    with superuser(triage_db_url) as conn:
        conn.execute(
            text("UPDATE audit_events SET detail = :d WHERE id = :id"),
            {"d": '{"n": 99}', "id": edited},
        )
    code, output = audit_cli("verify")
    assert code == 1
    assert f"row seq 3 (id {edited}) edited" in output
    assert "row seq 4" not in output  # the rest of the chain still links


def test_editing_who_or_when_is_caught_too(sessions, triage_db_url, audit_cli) -> None:
    write_events(sessions, 3)
    edited = ids_by_seq(sessions)[2]
    with superuser(triage_db_url) as conn:
        conn.execute(
            text("UPDATE audit_events SET action = 'logout' WHERE id = :id"), {"id": edited}
        )
    code, output = audit_cli("verify")
    assert (code, f"row seq 2 (id {edited}) edited" in output) == (1, True)


def test_deleting_a_middle_row_fails_verify_and_names_it(
    sessions, triage_db_url, audit_cli
) -> None:
    write_events(sessions, 5)
    with superuser(triage_db_url) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    code, output = audit_cli("verify")
    assert code == 1
    assert "audit chain BROKEN: row seq 3 missing (deleted)" in output


def test_deleting_the_last_row_is_caught_by_the_head(sessions, triage_db_url, audit_cli) -> None:
    write_events(sessions, 5)
    with superuser(triage_db_url) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 5"))
    code, output = audit_cli("verify")
    assert code == 1
    assert "row seq 5 missing (deleted at the end)" in output


def test_renumbering_to_hide_a_deletion_is_an_edit(sessions, triage_db_url, audit_cli) -> None:
    write_events(sessions, 4)
    moved = ids_by_seq(sessions)[4]
    with superuser(triage_db_url) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
        conn.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 4"))
        conn.execute(text("UPDATE audit_head SET seq = 3"))
    code, output = audit_cli("verify")
    assert code == 1
    assert f"row seq 3 (id {moved}) edited" in output


def test_a_row_inserted_by_hand_is_reported(sessions, triage_db_url, audit_cli) -> None:
    write_events(sessions, 2)
    with superuser(triage_db_url) as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (at, action, detail)"
                " VALUES ('2026-01-01 00:00:00', 'login', '{}')"
            )
        )
        forged = conn.execute(text("SELECT max(id) FROM audit_events")).scalar()
    code, output = audit_cli("verify")
    assert code == 1
    assert f"row id {forged} is not chained" in output


def test_the_cli_exits_non_zero_as_a_process(sessions, triage_db_url, env_vars) -> None:
    write_events(sessions, 3)
    with superuser(triage_db_url) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    done = subprocess.run(
        [sys.executable, "-m", "tipline.cli", "audit", "verify"],
        env=env_vars | {"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "row seq 2 missing (deleted)" in done.stderr


def test_an_anchor_catches_a_truncated_and_restarted_log(
    sessions, triage_db_url, audit_cli
) -> None:
    write_events(sessions, 3)
    code, anchor = audit_cli("head")
    anchor = anchor.strip()
    assert code == 0 and anchor.startswith("3:") and len(anchor) == 66
    write_events(sessions, 2)
    assert audit_cli("verify", "--anchor", anchor)[0] == 0

    # Everything emptied and a fresh chain started: consistent in itself, but not the log the
    # operator anchored.
    with superuser(triage_db_url) as conn:
        conn.execute(text("DELETE FROM audit_events"))
        conn.execute(text("DELETE FROM audit_head"))
    write_events(sessions, 4)
    assert audit_cli("verify")[0] == 0
    code, output = audit_cli("verify", "--anchor", anchor)
    assert code == 1
    assert "anchor seq 3 does not match" in output

    with superuser(triage_db_url) as conn:
        conn.execute(text("DELETE FROM audit_events"))
        conn.execute(text("DELETE FROM audit_head"))
    write_events(sessions, 1)
    code, output = audit_cli("verify", "--anchor", anchor)
    assert code == 1
    assert "anchor seq 3 not found: the log ends at seq 1" in output


def test_a_malformed_anchor_is_refused_plainly(sessions, audit_cli) -> None:
    code, output = audit_cli("verify", "--anchor", "three:abc")
    assert code == 2
    assert "an anchor is SEQ:HASH" in output


def test_the_database_refuses_update_and_delete(sessions, triage_db_url) -> None:
    write_events(sessions, 2)
    engine = create_engine(triage_db_url)
    statements = [
        "UPDATE audit_events SET detail = '{}' WHERE seq = 1",
        "UPDATE audit_events SET seq = 7 WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
        "INSERT INTO audit_events (at, action, detail) VALUES ('2026-01-01', 'login', '{}')",
        "UPDATE audit_head SET seq = 1",
        "DELETE FROM audit_head",
    ]
    try:
        for statement in statements:
            refused = pytest.raises(DBAPIError, match=r"append-only|chained|forward")
            with refused, engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    with sessions() as session:
        assert session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all() == [1, 2]
        assert session.scalar(select(AuditHead.seq)) == 2


def test_events_from_before_the_chain_are_chained_first(sessions, triage_db_url, audit_cli) -> None:
    with superuser(triage_db_url) as conn:  # rows as the previous release wrote them
        for when in ("2026-01-01 10:00:00", "2026-01-02 10:00:00"):
            conn.execute(
                text("INSERT INTO audit_events (at, action, detail) VALUES (:at, 'login', '{}')"),
                {"at": when},
            )
    assert audit_cli("verify") == (
        0,
        "audit chain intact: 0 events, head seq 0 (2 older events not chained yet)\n",
    )
    write_events(sessions, 1)
    with sessions() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.seq).order_by(AuditEvent.id)
        ).all()
    assert [tuple(r) for r in rows] == [("login", 1), ("login", 2), ("viewed", 3)]
    assert audit_cli("verify") == (0, "audit chain intact: 3 events, head seq 3\n")


def test_a_session_without_the_key_cannot_write_an_event(sessions, triage_db_url) -> None:
    engine = make_engine(triage_db_url)
    try:
        refused = pytest.raises(AuditKeyMissing, match=r"triage\.audit\.install")
        with refused, transaction(session_factory(engine)) as session:
            record(session, "viewed")
    finally:
        engine.dispose()
    with sessions() as session:
        assert session.scalars(select(AuditEvent)).all() == []


def test_concurrent_writers_keep_one_gapless_chain(db_backend, sessions, audit_cli) -> None:
    if db_backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL concern (SQLite has one writer)")
    writers, each = 8, 15
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with transaction(sessions) as session:
                    record(session, "viewed", detail={"writer": n, "i": i})
                    if i % 3 == 0:  # some transactions hold several events
                        record(session, "downloaded", detail={"writer": n, "i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = writers * (each + 5)
    with sessions() as session:
        seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, total + 1))
    assert audit_cli("verify") == (0, f"audit chain intact: {total} events, head seq {total}\n")


def test_the_app_and_the_intake_jobs_chain_with_the_configured_key(
    app, intake, sessions, settings
) -> None:
    for factory in (app.extensions["triage"].sessions, intake.sessions):
        with transaction(factory) as session:
            record(session, "viewed")
    assert settings.audit_key
    with sessions() as session:
        report = verify(session, settings.audit_key)
        assert (report.ok, report.checked) == (True, 2)
        assert not verify(session, b"another key").ok  # the key is what makes the chain
