"""Sealed files at intake: kept by id exactly as sent, once, then acknowledged to the portal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.triage.conftest import sealed_file
from tipline.queue_contract import (
    PORTAL_QUEUE,
    RECORD_ATTACHMENT_ACKNOWLEDGEMENT,
    b64,
    queue,
)
from triage import jobs
from triage.files import InvalidAttachmentJob
from triage.models import Attachment


def acknowledgements(redis_conn) -> list[tuple[str, list]]:
    return [(j.func_name, j.args) for j in queue(PORTAL_QUEUE, redis_conn).get_jobs()]


def test_a_sealed_file_is_kept_once_and_acknowledged_each_time(
    intake, sessions, redis_conn
) -> None:
    descriptor, sealed = sealed_file(b"filecanary " * 100)
    attachment_id = descriptor["id"]

    assert jobs.ingest_attachment(attachment_id, b64(sealed)) == "stored"
    assert jobs.ingest_attachment(attachment_id, b64(sealed)) == "stored"  # a re-send

    with sessions() as session:
        (row,) = session.scalars(select(Attachment)).all()
        assert (row.id, bytes(row.sealed), row.size) == (attachment_id, sealed, len(sealed))
    # Acknowledged after each commit, so the portal stops re-sending; only the id travels.
    assert acknowledgements(redis_conn) == [
        (RECORD_ATTACHMENT_ACKNOWLEDGEMENT, [attachment_id]),
        (RECORD_ATTACHMENT_ACKNOWLEDGEMENT, [attachment_id]),
    ]


@pytest.mark.parametrize(
    ("attachment_id", "payload"),
    [
        ("../../etc/passwd", "AAAA"),
        ("A" * 32, "AAAA"),  # ids are lowercase hex
        ("0" * 32, "%%% not base64 %%%"),
    ],
)
def test_an_attachment_job_that_cannot_be_right_is_refused_unacknowledged(
    intake, sessions, redis_conn, attachment_id, payload
) -> None:
    with pytest.raises(InvalidAttachmentJob):
        jobs.ingest_attachment(attachment_id, payload)
    with sessions() as session:
        assert session.scalars(select(Attachment)).all() == []
    assert acknowledgements(redis_conn) == []


def test_a_file_larger_than_any_allowed_attachment_is_refused(
    make_settings, sessions, redis_conn
) -> None:
    context = jobs.configure(make_settings(TIPLINE_ATTACHMENT_MAX_BYTES="4096"))
    try:
        small, sealed_small = sealed_file(b"x" * 4096)
        big, sealed_big = sealed_file(b"x" * 4097)
        jobs.ingest_attachment(small["id"], b64(sealed_small))
        with pytest.raises(InvalidAttachmentJob):
            jobs.ingest_attachment(big["id"], b64(sealed_big))
    finally:
        context.engine.dispose()
    with sessions() as session:
        assert list(session.scalars(select(Attachment.id))) == [small["id"]]
    assert acknowledgements(redis_conn) == [(RECORD_ATTACHMENT_ACKNOWLEDGEMENT, [small["id"]])]
