"""Attachments over HTTP: checked, cleaned, sealed, committed with the report, relayed, acked."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import timedelta

from PIL import Image

import portal.worker
from portal.outbox import relay
from tests.portal.conftest import Reporter, receipt_code_on
from tests.portal.media import EXE, PDF, jpeg_with_gps, metadata_left, png_with_text
from tipline import attachments, keys
from tipline.envelope import Purpose, open_envelope
from tipline.queue_contract import (
    INTAKE_QUEUE,
    enqueue_attachment_acknowledgement,
    queue,
    unb64,
)
from tipline.report_schema import validate


def open_document(sealed: bytes, unit_key_dirs, purpose: Purpose = Purpose.REPORT) -> dict:
    keyring = keys.load_private_keys(unit_key_dirs["private"])
    return json.loads(open_envelope(sealed, keyring, purpose))


def open_attachment(sealed: bytes, descriptor: dict) -> bytes:
    out = io.BytesIO()
    key = base64.b64decode(descriptor["key"])
    attachments.open_to(io.BytesIO(sealed), out, key, descriptor["id"])
    return out.getvalue()


def test_photo_is_cleaned_sealed_and_committed_with_the_report(
    reporter: Reporter, rows, redis_conn, unit_key_dirs
):
    response = reporter.submit(files=[(jpeg_with_gps(), "IMG_0001.jpg"), (PDF, "letter.pdf")])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert receipt_code_on(page)
    assert "Files attached" in page and "IMG_0001.jpg" in page and "letter.pdf" in page
    assert "location and" in page  # says the photo was cleaned

    [envelope] = rows.outbox()
    stored = {row.id: row for row in rows.attachments()}
    assert len(stored) == 2
    assert all(row.envelope_id == envelope.id for row in stored.values())
    document = validate(open_document(envelope.envelope, unit_key_dirs))
    photo, pdf = document["attachments"]
    assert (photo["name"], photo["media_type"]) == ("IMG_0001.jpg", "image/jpeg")
    assert (pdf["name"], pdf["media_type"]) == ("letter.pdf", "application/pdf")

    # The unit, holding the document's key, gets the cleaned photo back, byte for byte.
    clean = open_attachment(stored[photo["id"]].sealed, photo)
    assert hashlib.sha256(clean).hexdigest() == photo["sha256"] and len(clean) == photo["size"]
    left = metadata_left(clean)
    assert left["exif"] == {} and left["gps"] == {} and left["info"] == {}
    with Image.open(io.BytesIO(clean)) as image:
        assert image.getexif().get_ifd(0x8825) == {}
        assert "xmp" not in image.info and "icc_profile" not in image.info
    assert open_attachment(stored[pdf["id"]].sealed, pdf) == PDF  # PDFs pass unchanged

    # Sealed at rest: neither the camera nor the PDF's author is readable in the database.
    for row in stored.values():
        assert b"PhoneMaker" not in row.sealed and b"Jordan" not in row.sealed

    # Enqueued right after the commit, one job per file, first attempt.
    jobs = {job.id: job for job in queue(INTAKE_QUEUE, redis_conn).get_jobs()}
    for attachment_id, row in stored.items():
        job = jobs[f"attachment-{attachment_id}-0"]
        assert job.args[0] == attachment_id and unb64(job.args[1]) == row.sealed
        assert row.enqueue_count == 1 and row.last_enqueued_at is not None
    assert f"ingest-{envelope.id}-0" in jobs


def test_a_program_named_jpg_is_refused_and_the_report_is_kept(
    reporter: Reporter, rows, unit_key_dirs
):
    response = reporter.submit(
        files=[(EXE, "funny.jpg"), (png_with_text(), "screenshot.pdf")],
        what_happened="canary report text with a bad file",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert receipt_code_on(page)  # the report went through
    assert "1 file could not be attached" in page
    assert "funny.jpg" in page and "only take photos" in page
    # The PNG named .pdf was judged by its content and named for what it is.
    assert "screenshot.png" in page
    [envelope] = rows.outbox()
    document = open_document(envelope.envelope, unit_key_dirs)
    assert document["report"]["what_happened"] == "canary report text with a bad file"
    [only] = document["attachments"]
    assert (only["name"], only["media_type"]) == ("screenshot.png", "image/png")
    assert len(rows.attachments()) == 1


def test_oversized_and_extra_files_are_listed_and_the_report_is_kept(
    make_settings, client_factory, rows, unit_key_dirs
):
    settings = make_settings(TIPLINE_ATTACHMENT_MAX_FILES="2", TIPLINE_ATTACHMENT_MAX_BYTES="5000")
    reporter = Reporter(client_factory(settings))
    big = b"%PDF-1.7\n" + b"0" * 6000
    small = png_with_text()
    response = reporter.submit(
        files=[(big, "scan.pdf"), (small, "a.png"), (small, "b.png"), (small, "c.png")]
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and receipt_code_on(page)
    assert "2 files could not be attached" in page
    assert "scan.pdf" in page and "bigger than 4.9 KB" not in page  # said in plain sizes
    assert "bigger than 5 KB" in page
    assert "up to 2 files" in page and "c.png" in page
    [envelope] = rows.outbox()
    names = [a["name"] for a in open_document(envelope.envelope, unit_key_dirs)["attachments"]]
    assert names == ["a.png", "b.png"]


def test_report_without_files_is_unchanged(reporter: Reporter, rows, unit_key_dirs):
    assert reporter.submit(files=[]).status_code == 200
    [envelope] = rows.outbox()
    assert "attachments" not in open_document(envelope.envelope, unit_key_dirs)
    assert rows.attachments() == []


def test_a_body_beyond_all_files_gets_the_413_page(make_settings, client_factory, rows):
    settings = make_settings(TIPLINE_ATTACHMENT_MAX_FILES="1", TIPLINE_ATTACHMENT_MAX_BYTES="4096")
    reporter = Reporter(client_factory(settings))
    response = reporter.submit(files=[(b"%PDF-" + b"0" * 200_000, "huge.pdf")])
    assert response.status_code == 413
    assert "files too big" in response.get_data(as_text=True)
    assert rows.outbox() == []


def test_relay_resends_unacknowledged_attachments_until_acked(
    settings, reporter: Reporter, rows, sessions, redis_conn
):
    reporter.submit(files=[(png_with_text(), "a.png"), (PDF, "b.pdf")])
    first, second = rows.attachments()
    [envelope] = rows.outbox()
    redis_conn.flushdb()  # Redis restarted empty

    later = first.created_at + timedelta(seconds=61)
    # Envelope and both files are due again.
    assert relay(sessions, redis_conn, older_than_seconds=60, now=later) == 3
    job_ids = set(queue(INTAKE_QUEUE, redis_conn).get_job_ids())
    assert {f"attachment-{first.id}-1", f"attachment-{second.id}-1"} <= job_ids
    assert f"ingest-{envelope.id}-1" in job_ids

    # Triage acknowledges one file through the portal queue; the worker records it.
    enqueue_attachment_acknowledgement(redis_conn, first.id)
    portal.worker.run(settings, burst=True)
    acked = {row.id: row.acked_at for row in rows.attachments()}
    assert acked[first.id] is not None and acked[second.id] is None

    much_later = later + timedelta(seconds=61)
    redis_conn.flushdb()
    assert relay(sessions, redis_conn, older_than_seconds=60, now=much_later) == 2
    job_ids = set(queue(INTAKE_QUEUE, redis_conn).get_job_ids())
    assert f"attachment-{second.id}-2" in job_ids
    assert not any(job.startswith(f"attachment-{first.id}") for job in job_ids)


def test_acknowledgement_of_an_unknown_or_malformed_attachment_is_ignored(settings, rows):
    portal.jobs.configure(settings)
    portal.jobs.record_attachment_acknowledgement("0" * 32)
    portal.jobs.record_attachment_acknowledgement({"not": "an id"})  # type: ignore[arg-type]
    assert rows.attachments() == []
