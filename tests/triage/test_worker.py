"""The intake worker: runs the allowlisted job for real, refuses anything else."""

from __future__ import annotations

from pathlib import Path

from rq.job import JobStatus
from sqlalchemy import select

from tipline import directory
from tipline.queue_contract import (
    ACK_STORED,
    INTAKE_QUEUE,
    PORTAL_QUEUE,
    RECORD_ACKNOWLEDGEMENT,
    STORE_DIRECTORY,
    enqueue_ingest,
    queue,
)
from triage import worker
from triage.models import QueueItem


def test_burst_worker_ingests_and_acknowledges(
    settings, sessions, sealed_report, redis_conn
) -> None:
    envelope_id, envelope, _ = sealed_report(category="bullying")
    enqueue_ingest(redis_conn, envelope_id, envelope)
    worker.run(settings, burst=True)
    with sessions() as session:
        item = session.scalars(select(QueueItem)).one()
        assert (item.envelope_id, item.tier) == (envelope_id, "P3")
    jobs = queue(PORTAL_QUEUE, redis_conn).get_jobs()
    (ack,) = [job for job in jobs if job.func_name == RECORD_ACKNOWLEDGEMENT]
    assert ack.args == [envelope_id, ACK_STORED]
    assert len(queue(INTAKE_QUEUE, redis_conn)) == 0
    # The burst also published the directory once, for the portal's forms.
    (published,) = [job for job in jobs if job.func_name == STORE_DIRECTORY]
    assert directory.decode(published.args[0])["organizations"] == []


def test_worker_refuses_a_function_outside_its_allowlist(
    settings, redis_conn, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    intake = queue(INTAKE_QUEUE, redis_conn)
    job = intake.enqueue("os.system", f"touch {marker}")
    worker.run(settings, burst=True)
    assert not marker.exists()
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert job.id in intake.failed_job_registry.get_job_ids()
