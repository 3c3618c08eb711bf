"""Allowlisting workers: a job outside the list runs nothing, on a real Redis."""

from __future__ import annotations

from rq.job import JobStatus

from tipline.queue_contract import queue
from tipline.workers import make_worker


def test_refuses_function_outside_allowlist(redis_conn, tmp_path) -> None:
    target = tmp_path / "pwned"
    job = queue("intake", redis_conn).enqueue("os.system", f"touch {target}")
    worker = make_worker(["intake"], frozenset({"json.dumps"}), redis_conn, simple=True)
    worker.work(burst=True)
    assert not target.exists()
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "not allowed" in (job.latest_result().exc_string or "")


def test_refuses_allowed_function_with_callback(redis_conn, tmp_path) -> None:
    job = queue("intake", redis_conn).enqueue(
        "json.dumps", [1, 2], on_failure="os.abort", on_success="os.abort"
    )
    worker = make_worker(["intake"], frozenset({"json.dumps"}), redis_conn, simple=True)
    worker.work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED


def test_runs_allowed_function(redis_conn) -> None:
    job = queue("intake", redis_conn).enqueue("json.dumps", [1, 2])
    make_worker(["intake"], frozenset({"json.dumps"}), redis_conn, simple=True).work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "[1, 2]"


def test_refuses_raw_garbage_job(redis_conn) -> None:
    """A job hash written by hand with data that is not our JSON runs nothing."""
    q = queue("intake", redis_conn)
    job = q.enqueue("json.dumps", [1])
    redis_conn.hset(job.key, "data", b"\x80\x04not-json")
    make_worker(["intake"], frozenset({"json.dumps"}), redis_conn, simple=True).work(burst=True)
    assert redis_conn.hget(job.key, "status") == b"failed"
