"""The intake job: commit first, then acknowledge on queue "portal"; duplicates end as one item."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tipline.db import transaction
from tipline.queue_contract import (
    ACK_DEAD_LETTER,
    ACK_STORED,
    PORTAL_QUEUE,
    RECORD_ACKNOWLEDGEMENT,
    b64,
    queue,
)
from tipline.settings import SettingsError
from triage import jobs
from triage.intake import ingest
from triage.models import DeadLetter, QueueItem, default_unit
from triage.rules import RulesError


def acknowledgements(redis_conn) -> list[tuple[str, list]]:
    portal = queue(PORTAL_QUEUE, redis_conn)
    return [(job.func_name, job.args) for job in portal.get_jobs()]


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_job_stores_then_acknowledges_to_the_portal(
    intake, sessions, sealed_report, redis_conn
) -> None:
    envelope_id, envelope, _ = sealed_report(danger_now="yes")
    assert jobs.ingest_envelope(envelope_id, b64(envelope)) == ACK_STORED
    assert count(sessions, QueueItem) == 1
    assert acknowledgements(redis_conn) == [(RECORD_ACKNOWLEDGEMENT, [envelope_id, ACK_STORED])]
    # The acknowledgement carries only the id and the outcome, nothing sealed or in clear.
    (job,) = queue(PORTAL_QUEUE, redis_conn).get_jobs()
    assert b64(envelope) not in str(job.args)


def test_dead_letters_are_acknowledged_too(intake, sessions, sealed_report, redis_conn) -> None:
    envelope_id, _, _ = sealed_report()
    assert jobs.ingest_envelope(envelope_id, "%%% not base64 %%%") == ACK_DEAD_LETTER
    with sessions() as session:
        letter = session.scalars(select(DeadLetter)).one()
        assert letter.error_kind == "malformed"
    assert acknowledgements(redis_conn) == [
        (RECORD_ACKNOWLEDGEMENT, [envelope_id, ACK_DEAD_LETTER])
    ]


def test_no_acknowledgement_when_nothing_was_stored(
    make_settings, tmp_path, sealed_report, redis_conn
) -> None:
    broken = make_settings(TRIAGE_DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/triage.db")
    context = jobs.configure(broken)
    envelope_id, envelope, _ = sealed_report()
    try:
        with pytest.raises(OperationalError):
            jobs.ingest_envelope(envelope_id, b64(envelope))
    finally:
        context.engine.dispose()
    assert acknowledgements(redis_conn) == []  # the portal keeps re-sending


def test_concurrent_duplicate_delivery_ends_in_one_item(
    intake, sessions, keyring, rules, sealed_report, redis_conn, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="triage.jobs")
    envelope_id, envelope, _ = sealed_report()
    with transaction(sessions) as session:
        default_unit(session)
    results: list[str] = []

    # Worker A has stored the item but not yet committed when worker B gets the same envelope.
    first = sessions()
    try:
        assert ingest(first, keyring, rules, envelope_id, envelope, datetime.now(UTC))
        second = threading.Thread(
            target=lambda: results.append(jobs.ingest_envelope(envelope_id, b64(envelope)))
        )
        second.start()
        time.sleep(0.5)  # B is now waiting on A's row lock / write lock
        assert results == []
        first.commit()
    finally:
        first.close()
    second.join(timeout=60)

    assert results == [ACK_STORED]
    assert count(sessions, QueueItem) == 1
    assert "stored by a concurrent delivery" in caplog.text  # B hit the unique id, rolled back
    assert acknowledgements(redis_conn) == [(RECORD_ACKNOWLEDGEMENT, [envelope_id, ACK_STORED])]


def test_configure_replaces_the_context(make_settings, intake) -> None:
    other = jobs.configure(make_settings(TIPLINE_LOG_LEVEL="DEBUG"))
    try:
        assert jobs.context() is other
        assert other.settings.log_level == "DEBUG"
        assert other.keyring and other.rules.rules
    finally:
        other.engine.dispose()


def test_worker_context_fails_closed_without_a_private_key(make_settings, tmp_path) -> None:
    (tmp_path / "no-keys").mkdir()
    with pytest.raises(SettingsError, match="no unit private key"):
        jobs.configure(make_settings(TIPLINE_PRIVATE_KEY_DIR=str(tmp_path / "no-keys")))


def test_worker_context_fails_on_a_broken_rules_file(make_settings, tmp_path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[tiers.P1]\nlabel = 'x'\n")
    with pytest.raises(RulesError, match=r"rules\.toml: \[tiers.P1\]: due must"):
        jobs.configure(make_settings(TIPLINE_RULES_PATH=str(rules)))
