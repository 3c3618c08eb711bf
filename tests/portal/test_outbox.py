"""The outbox: accepted before "received", sent when Redis allows, re-sent until acknowledged."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from portal.context import redis_client
from portal.intake import ReportIntake
from portal.models import OutboxEnvelope
from portal.outbox import record_acknowledgement, relay
from portal.receipts import ReceiptDeriver
from portal.sealing import ReportSealer
from tests.portal.conftest import Reporter
from tipline.db import transaction
from tipline.embedded_redis import free_port
from tipline.queue_contract import INTAKE_QUEUE, queue

REPORT = {
    "what_happened": "She posted that she has a list of people.",
    "category": "online_posts",
    "danger_now": "unsure",
    "weapons_access": "unsure",
}


def closed_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def make_intake(sessions: sessionmaker[Session], redis: Redis, unit_key_dirs) -> ReportIntake:
    return ReportIntake(
        session_factory=sessions,
        sealer=ReportSealer(unit_key_dirs["public"]),
        receipts=ReceiptDeriver(b"pepper", memory_kib=64, iterations=1),
        redis=redis,
    )


def intake_job_ids(redis_conn: Redis) -> list[str]:
    return queue(INTAKE_QUEUE, redis_conn).get_job_ids()


def test_redis_down_at_submit_still_accepts_then_relay_sends(
    make_settings, sessions, rows, redis_conn, client_factory
):
    settings = make_settings(REDIS_URL=closed_redis_url())
    reporter = Reporter(client_factory(settings))
    response = reporter.submit()
    assert response.status_code == 200  # accepted: the outbox holds it
    [envelope] = rows.outbox()
    assert envelope.enqueue_count == 0 and envelope.last_enqueued_at is None
    assert intake_job_ids(redis_conn) == []

    sent = relay(sessions, redis_conn, older_than_seconds=60)
    assert sent == 1
    assert intake_job_ids(redis_conn) == [f"ingest-{envelope.id}-0"]
    [envelope] = rows.outbox()
    assert envelope.enqueue_count == 1 and envelope.last_enqueued_at is not None


def test_relay_resends_only_unacknowledged_and_old(sessions, rows, redis_conn, unit_key_dirs):
    intake = make_intake(sessions, redis_conn, unit_key_dirs)
    start = datetime.now(UTC)
    ids = [intake.submit(REPORT, None, now=start).envelope_id for _ in range(3)]
    acked, fresh, stale = ids
    with transaction(sessions) as session:
        record_acknowledgement(session, acked, "stored")
        session.get(OutboxEnvelope, fresh).last_enqueued_at = start + timedelta(seconds=50)
    redis_conn.flushdb()

    later = start + timedelta(seconds=61)
    assert relay(sessions, redis_conn, older_than_seconds=60, now=later) == 1
    assert intake_job_ids(redis_conn) == [f"ingest-{stale}-1"]
    # Just re-sent: nothing is due again until the threshold passes once more.
    assert relay(sessions, redis_conn, older_than_seconds=60, now=later) == 0
    much_later = later + timedelta(seconds=61)
    assert relay(sessions, redis_conn, older_than_seconds=60, now=much_later) == 2
    assert sorted(intake_job_ids(redis_conn)) == sorted(
        [f"ingest-{stale}-1", f"ingest-{stale}-2", f"ingest-{fresh}-1"]
    )
    counts = {row.id: row.enqueue_count for row in rows.outbox()}
    assert counts == {acked: 1, fresh: 2, stale: 3}


def test_relay_with_redis_down_raises_and_records_nothing(sessions, rows, unit_key_dirs):
    down = redis_client(closed_redis_url())
    intake = make_intake(sessions, down, unit_key_dirs)
    intake.submit(REPORT, None)
    with pytest.raises(RedisError):
        relay(sessions, down, older_than_seconds=0)
    assert rows.outbox()[0].enqueue_count == 0


def test_acknowledgement_is_idempotent(sessions, rows, redis_conn, unit_key_dirs):
    envelope_id = make_intake(sessions, redis_conn, unit_key_dirs).submit(REPORT, None).envelope_id
    first = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction(sessions) as session:
        assert record_acknowledgement(session, envelope_id, "stored", now=first)
    with transaction(sessions) as session:
        assert record_acknowledgement(
            session, envelope_id, "stored", now=first + timedelta(hours=1)
        )
    [row] = rows.outbox()
    assert row.acked_at == first
    assert row.ack_outcome == "stored"


def test_unknown_or_bogus_acknowledgements_are_logged_not_fatal(sessions, rows, caplog):
    unknown = str(uuid.uuid4())
    with caplog.at_level(logging.WARNING, logger="portal.outbox"), transaction(sessions) as s:
        assert not record_acknowledgement(s, unknown, "stored")
        assert not record_acknowledgement(s, unknown, "exploded")
    assert unknown in caplog.text
    assert rows.outbox() == []


def test_timestamps_come_back_timezone_aware(sessions, rows, redis_conn, unit_key_dirs):
    make_intake(sessions, redis_conn, unit_key_dirs).submit(REPORT, None)
    [row] = rows.outbox()
    assert row.created_at.tzinfo is not None
    assert row.last_enqueued_at is not None and row.last_enqueued_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - row.created_at) < timedelta(minutes=1)
