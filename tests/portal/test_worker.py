"""The portal worker: runs acknowledgements only, and relays the outbox."""

from __future__ import annotations

from rq.registry import FailedJobRegistry

import portal.jobs
import portal.worker
from tests.portal.conftest import Reporter
from tipline.queue_contract import (
    INTAKE_QUEUE,
    PORTAL_QUEUE,
    enqueue_acknowledgement,
    queue,
)


def test_acknowledgement_job_marks_the_envelope_and_stops_relaying(
    settings, reporter: Reporter, rows, redis_conn
):
    reporter.submit()
    [envelope] = rows.outbox()
    enqueue_acknowledgement(redis_conn, envelope.id, "stored")
    portal.worker.run(settings, burst=True)
    [envelope] = rows.outbox()
    assert envelope.acked_at is not None and envelope.ack_outcome == "stored"
    assert queue(PORTAL_QUEUE, redis_conn).count == 0


def test_burst_runs_the_relay(make_settings, reporter: Reporter, rows, redis_conn):
    reporter.submit()
    redis_conn.flushdb()  # Redis restarted empty: the report exists only in the outbox
    portal.worker.run(make_settings(TIPLINE_RELAY_AFTER_SECONDS="0"), burst=True)
    [envelope] = rows.outbox()
    assert queue(INTAKE_QUEUE, redis_conn).get_job_ids() == [f"ingest-{envelope.id}-1"]


def test_worker_refuses_a_job_outside_its_allowlist(settings, redis_conn, tmp_path):
    marker = tmp_path / "ran"
    job = queue(PORTAL_QUEUE, redis_conn).enqueue("os.system", f"touch {marker}")
    portal.worker.run(settings, burst=True)
    assert not marker.exists()
    assert job.id in FailedJobRegistry(PORTAL_QUEUE, connection=redis_conn).get_job_ids()


def test_malformed_acknowledgement_arguments_are_ignored(settings, rows):
    portal.jobs.configure(settings)
    portal.jobs.record_acknowledgement(["not", "an", "id"], "stored")  # type: ignore[arg-type]
    assert rows.outbox() == []
