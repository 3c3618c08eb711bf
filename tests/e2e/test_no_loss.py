"""No report is lost: Redis emptied, a worker killed mid-job, an envelope delivered twice.

Every case ends with the report in the officers' queue exactly once and the portal's outbox
row acknowledged. Real Redis, real databases, and in the kill case a real worker process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rq.registry import StartedJobRegistry
from sqlalchemy import create_engine, text

from tests.e2e.harness import System, all_rows, running_system
from tipline.queue_contract import INTAKE_QUEUE, enqueue_ingest
from tipline.settings import Settings


def queue_items(settings: Settings) -> list[dict]:
    return [r for t, r in all_rows(settings.triage_database_url or "") if t == "queue_items"]


def outbox(settings: Settings) -> list[dict]:
    return [r for t, r in all_rows(settings.portal_database_url or "") if t == "outbox_envelopes"]


@pytest.fixture
def eager_relay(make_settings) -> Iterator[System]:
    """A system whose relay re-sends anything unacknowledged at once."""
    with running_system(make_settings(TIPLINE_RELAY_AFTER_SECONDS="0")) as running:
        yield running


def test_redis_emptied_between_submit_and_intake(eager_relay: System, redis_conn) -> None:
    assert eager_relay.submit_report().status_code == 200
    redis_conn.flushdb()  # Redis restarted with nothing: the job is gone
    eager_relay.run_intake()
    assert queue_items(eager_relay.settings) == []

    eager_relay.run_portal_worker()  # relay re-sends from the outbox
    eager_relay.run_intake()
    eager_relay.run_portal_worker()  # acknowledgement
    assert len(queue_items(eager_relay.settings)) == 1
    assert outbox(eager_relay.settings)[0]["acked_at"] is not None


def test_same_envelope_delivered_twice(system: System, redis_conn) -> None:
    assert system.submit_report().status_code == 200
    (row,) = outbox(system.settings)
    enqueue_ingest(redis_conn, row["id"], bytes(row["envelope"]), attempt=7)
    enqueue_ingest(redis_conn, row["id"], bytes(row["envelope"]), attempt=8)
    system.run_intake()
    system.run_portal_worker()
    assert len(queue_items(system.settings)) == 1
    assert outbox(system.settings)[0]["acked_at"] is not None


@contextmanager
def triage_write_lock(url: str) -> Iterator[None]:
    """Hold the triage database so that an intake job blocks inside its transaction."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text("LOCK TABLE queue_items IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            trans.rollback()
    engine.dispose()


def kill_session(session_id: int) -> None:
    """SIGKILL every process of a session: the worker and its work horse (RQ puts the horse in
    a process group of its own, but it stays in the worker's session)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:  # field 6 of /proc/<pid>/stat: the session id
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


@pytest.mark.slow
def test_intake_worker_killed_mid_job(eager_relay: System, env_vars, redis_conn) -> None:
    settings = eager_relay.settings
    assert eager_relay.submit_report().status_code == 200
    started = StartedJobRegistry(INTAKE_QUEUE, connection=redis_conn)
    env = os.environ | env_vars | {"TIPLINE_RELAY_AFTER_SECONDS": "0"}
    with triage_write_lock(settings.triage_database_url or ""):
        worker = subprocess.Popen(
            [sys.executable, "-m", "tipline.cli", "worker", "intake"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not started.get_job_ids() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert started.get_job_ids(), "the worker never picked the job up"
            time.sleep(1.0)  # now blocked inside its database transaction
        finally:
            kill_session(worker.pid)  # worker and its work horse, no goodbye
            worker.wait(timeout=30)
    assert queue_items(settings) == []

    eager_relay.run_portal_worker()  # the relay re-sends what was never acknowledged
    eager_relay.run_intake()
    eager_relay.run_portal_worker()
    eager_relay.run_intake()  # a second re-send may have gone out meanwhile: still one item
    assert len(queue_items(settings)) == 1
    assert outbox(settings)[0]["acked_at"] is not None
