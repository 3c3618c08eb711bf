"""The SLA clock: a "due soon" flag before an item's due time, and one escalation to the
supervisors after it, exactly once per item across restarts and concurrent schedulers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.triage.alerts_helpers import add_contacts
from tipline.db import make_engine, transaction
from triage import scheduler
from triage.audit import triage_sessions
from triage.models import Alert, AuditEvent, Notification, QueueItem


@pytest.fixture
def supervisors(sessions, receiver):
    add_contacts(
        sessions,
        "default",
        ("On call", "webhook", f"{receiver.url}/on-call"),
        ("Chief", "webhook", f"{receiver.url}/chief", "supervisor"),
        ("Deputy", "webhook", f"{receiver.url}/deputy", "supervisor"),
    )


def due_of(sessions, item_id: int) -> datetime:
    with sessions() as session:
        return session.get(QueueItem, item_id).due_at


def count(sessions, model, *where) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_an_item_is_flagged_due_soon_once(app, logged_in, sessions, add_item, settings) -> None:
    # Received 5 minutes ago, due in 1 h 55: two hours in all; 25 % is 30 minutes.
    item_id = add_item(tier="P3", due_in=timedelta(hours=1, minutes=55))
    due = due_of(sessions, item_id)
    assert scheduler.tick(sessions, settings, due - timedelta(minutes=31))["warned"] == 0
    assert scheduler.tick(sessions, settings, due - timedelta(minutes=29))["warned"] == 1
    assert scheduler.tick(sessions, settings, due - timedelta(minutes=20))["warned"] == 0
    with sessions() as session:
        assert session.get(QueueItem, item_id).warned_at == due - timedelta(minutes=29)
    assert count(sessions, Alert, Alert.kind == "sla_warning") == 1
    assert 'class="badge badge-due-soon"' in logged_in.get("/queue").get_data(as_text=True)
    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Due soon" in page


def test_an_item_past_due_is_escalated_exactly_once_across_restarts(
    sessions, add_item, settings, env_vars, supervisors, receiver, triage_db_url
) -> None:
    item_id = add_item(tier="P2", due_in=timedelta(hours=1))
    due = due_of(sessions, item_id)
    summary = scheduler.tick(sessions, settings, due + timedelta(seconds=1))
    assert summary["escalated"] == 1 and summary["sent"] == 2
    assert sorted(r.path for r in receiver.received) == ["/chief", "/deputy"]
    assert {r.json["kind"] for r in receiver.received} == {"sla_breach"}

    # The worker restarts: a new engine, a new session factory, nothing kept in memory.
    engine = make_engine(triage_db_url)
    restarted = triage_sessions(engine, settings)
    try:
        again = scheduler.tick(restarted, settings, due + timedelta(minutes=30))
    finally:
        engine.dispose()
    assert again["escalated"] == 0
    # And another process: the `tipline scheduler tick` command.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tipline.cli",
            "scheduler",
            "tick",
            "--now",
            (due + timedelta(hours=2)).isoformat(),
        ],
        env=os.environ | env_vars,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "escalated=0" in done.stdout

    assert len(receiver.received) == 2
    assert count(sessions, Alert, Alert.kind == "sla_breach") == 1
    assert count(sessions, Notification) == 2
    assert count(sessions, AuditEvent, AuditEvent.action == "sla-escalated") == 1
    assert receiver.to("/on-call") == []


def test_concurrent_ticks_escalate_each_item_once(
    sessions, add_item, settings, supervisors, receiver, triage_db_url
) -> None:
    ids = [add_item(tier="P3", due_in=timedelta(minutes=10)) for _ in range(4)]
    later = max(due_of(sessions, i) for i in ids) + timedelta(minutes=1)
    barrier = threading.Barrier(3)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        engine = make_engine(triage_db_url)
        try:
            barrier.wait()
            results.append(scheduler.tick(triage_sessions(engine, settings), settings, later))
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.get("escalated", 0) for r in results) == 4
    assert count(sessions, Alert, Alert.kind == "sla_breach") == 4
    # Two supervisors per item, each told once.
    assert count(sessions, Notification) == 8
    assert len(receiver.received) == 8
    assert len({r.json["id"] for r in receiver.received}) == 8


def test_decided_items_are_not_escalated(sessions, add_item, settings, supervisors) -> None:
    add_item(tier="P2", due_in=timedelta(minutes=-1), status="decided")
    add_item(tier="P2", due_in=timedelta(minutes=-1), status="closed")
    summary = scheduler.tick(sessions, settings, datetime.now(UTC))
    assert summary["escalated"] == 0 and summary["warned"] == 0
    assert count(sessions, Alert) == 0


def test_an_escalated_item_shows_it(app, logged_in, sessions, add_item, settings, supervisors):
    item_id = add_item(tier="P2", due_in=timedelta(minutes=-1))
    scheduler.tick(sessions, settings, datetime.now(UTC))
    queue = logged_in.get("/queue").get_data(as_text=True)
    assert 'class="badge badge-escalated"' in queue
    assert "supervisors were told" in logged_in.get(f"/items/{item_id}").get_data(as_text=True)


def test_a_failing_hook_does_not_stop_the_tick(sessions, add_item, settings, supervisors):
    item_id = add_item(tier="P2", due_in=timedelta(minutes=-1))

    def broken(_sessions, _settings, _now) -> int:
        raise RuntimeError("boom")

    calls: list[datetime] = []

    def counting(_sessions, _settings, now) -> int:
        calls.append(now)
        return 1

    now = datetime.now(UTC)
    summary = scheduler.tick(
        sessions, settings, now, hooks=[("broken", broken), ("claims", counting)]
    )
    assert summary["broken"] == scheduler.STEP_FAILED and summary["claims"] == 1
    assert summary["escalated"] == 1 and calls == [now]
    with transaction(sessions) as session:
        assert session.get(QueueItem, item_id).escalated_at == now


def test_the_cli_refuses_a_bad_time(env_vars) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tipline.cli", "scheduler", "tick", "--now", "yesterday"],
        env=os.environ | env_vars,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "not an ISO 8601 time" in done.stderr


def test_the_intake_worker_runs_the_clock_and_a_restart_changes_nothing(
    sessions, add_item, settings, supervisors, receiver
) -> None:
    import triage.worker

    add_item(tier="P2", due_in=timedelta(minutes=-1))
    triage.worker.run(settings, burst=True)
    assert sorted(r.path for r in receiver.received) == ["/chief", "/deputy"]
    triage.worker.run(settings, burst=True)  # a restarted worker
    assert len(receiver.received) == 2
    assert count(sessions, Alert, Alert.kind == "sla_breach") == 1


def test_a_worker_skips_the_tick_while_another_holds_the_lock(
    sessions, add_item, settings, supervisors, redis_conn
) -> None:
    item_id = add_item(tier="P2", due_in=timedelta(minutes=-1))
    other = redis_conn.lock(scheduler.LOCK_NAME, timeout=60)
    assert other.acquire(blocking=False)
    try:
        assert scheduler.tick_locked(sessions, redis_conn, settings) == 0
        with sessions() as session:
            assert session.get(QueueItem, item_id).escalated_at is None
    finally:
        other.release()
    assert scheduler.tick_locked(sessions, redis_conn, settings) >= 1
    with sessions() as session:
        assert session.get(QueueItem, item_id).escalated_at is not None
