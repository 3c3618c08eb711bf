"""The reporter's mailbox: messages sealed to them, status, replies through the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import portal.jobs
import portal.worker
from portal.models import Receipt
from tests.portal.conftest import Follower, Reporter, csrf_token, receipt_code_on
from tests.portal.media import EXE, jpeg_with_gps, metadata_left
from tests.portal.test_attachments import open_attachment
from tests.portal.test_ratelimit import everything_in
from tipline import keys
from tipline.db import transaction
from tipline.envelope import Purpose, open_envelope, seal
from tipline.followup_schema import MESSAGE_SCHEMA_ID, decode_reply, encode_message
from tipline.keys import x25519_public_key
from tipline.queue_contract import (
    INGEST_ENVELOPE,
    INTAKE_QUEUE,
    RECORD_MESSAGE_DELIVERY,
    b64,
    enqueue_acknowledgement,
    enqueue_message,
    enqueue_report_status,
    queue,
)


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def sealed_message(receipt: Receipt, text: str, message_id: str | None = None):
    """What triage sends: a tipline.message/1 sealed to the reporter's public key."""
    message_id = message_id or str(uuid.uuid4())
    document = {
        "schema": MESSAGE_SCHEMA_ID,
        "kind": "message",
        "message_id": message_id,
        "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "text": text,
    }
    public = x25519_public_key(receipt.public_key or b"")
    return message_id, seal(encode_message(document), public, Purpose.MESSAGE_TO_REPORTER)


def open_plaintext(sealed: bytes, unit_key_dirs, purpose: Purpose) -> bytes:
    return open_envelope(sealed, keys.load_private_keys(unit_key_dirs["private"]), purpose)


def deliveries(redis_conn) -> list[tuple]:
    return [
        tuple(job.args)
        for job in queue(INTAKE_QUEUE, redis_conn).get_jobs()
        if job.func_name == RECORD_MESSAGE_DELIVERY
    ]


def signed_in(reporter: Reporter, follower: Follower, rows) -> Receipt:
    code = receipt_code_on(reporter.submit().get_data(as_text=True))
    assert follower.sign_in(code).status_code == 303
    [receipt] = rows.receipts()
    return receipt


def test_store_message_is_idempotent_and_acknowledged(
    settings, reporter: Reporter, rows, sessions, redis_conn
):
    reporter.submit()
    [receipt] = rows.receipts()
    message_id, sealed = sealed_message(receipt, "Which school is it?")
    with transaction(sessions) as session:
        session.get(Receipt, receipt.lookup_id).last_activity_at -= timedelta(days=3)
    three_days_ago = rows.receipts()[0].last_activity_at

    portal.jobs.configure(settings)
    assert portal.jobs.store_message(message_id, receipt.envelope_id, b64(sealed)) == "stored"
    assert portal.jobs.store_message(message_id, receipt.envelope_id, b64(sealed)) == "stored"
    [stored] = rows.messages()
    assert stored.id == message_id and stored.envelope == sealed
    assert stored.receipt_lookup_id == receipt.lookup_id and stored.read_at is None
    assert deliveries(redis_conn) == [(message_id, "stored"), (message_id, "stored")]
    # A new message is activity: the receipt will not expire soon after it.
    assert rows.receipts()[0].last_activity_at > three_days_ago + timedelta(days=2)


def test_message_without_a_live_mailbox(settings, reporter: Reporter, rows, sessions, redis_conn):
    reporter.submit()
    [receipt] = rows.receipts()
    portal.jobs.configure(settings)
    unknown_id, sealed = sealed_message(receipt, "Hello?")
    assert portal.jobs.store_message(unknown_id, str(uuid.uuid4()), b64(sealed)) == "no-mailbox"
    with transaction(sessions) as session:
        session.get(Receipt, receipt.lookup_id).last_activity_at -= timedelta(days=91)
    portal.worker.run(settings, burst=True)  # purge: the receipt is now a tombstone
    late_id, sealed = sealed_message(receipt, "Are you there?")
    assert portal.jobs.store_message(late_id, receipt.envelope_id, b64(sealed)) == "no-mailbox"
    assert rows.messages() == []
    assert sorted(deliveries(redis_conn)) == sorted(
        [(unknown_id, "no-mailbox"), (late_id, "no-mailbox")]
    )
    # Malformed jobs are dropped without storing or acknowledging anything.
    assert portal.jobs.store_message("x", receipt.envelope_id, b64(sealed)) == "malformed"
    assert portal.jobs.store_message(late_id, receipt.envelope_id, "not base64!") == "malformed"
    assert len(deliveries(redis_conn)) == 2


def test_purge_deletes_the_mailbox_and_keeps_a_tombstone(
    settings, reporter: Reporter, rows, sessions
):
    reporter.submit()
    reporter.submit()
    old, fresh = rows.receipts()
    portal.jobs.configure(settings)
    for receipt in (old, fresh):
        message_id, sealed = sealed_message(receipt, "A question")
        portal.jobs.store_message(message_id, receipt.envelope_id, b64(sealed))
    with transaction(sessions) as session:
        session.get(Receipt, old.lookup_id).last_activity_at -= timedelta(days=91)
    portal.worker.run(settings, burst=True)
    receipts = {r.lookup_id: r for r in rows.receipts()}
    assert receipts[old.lookup_id].public_key is None
    assert receipts[old.lookup_id].expired_at is not None
    assert receipts[fresh.lookup_id].public_key == fresh.public_key
    assert [m.receipt_lookup_id for m in rows.messages()] == [fresh.lookup_id]


def test_message_from_the_queue_is_readable_only_on_the_mailbox_page(
    settings, reporter: Reporter, follower: Follower, rows, redis_conn
):
    receipt = signed_in(reporter, follower, rows)
    question = "Which school is it? canary-question-5521"
    message_id, sealed = sealed_message(receipt, question)
    enqueue_message(redis_conn, message_id, receipt.envelope_id, sealed)
    portal.worker.run(settings, burst=True)  # the portal worker stores it
    assert deliveries(redis_conn) == [(message_id, "stored")]

    page = text_of(follower.mailbox())
    assert question in page and "From the team" in page and "New" in page
    assert rows.messages()[0].read_at is not None
    assert "New</span>" not in follower.mailbox().get_data(as_text=True)  # read now
    # The portal stores and queues it sealed: the words are nowhere in clear.
    assert b"canary-question-5521" not in rows.messages()[0].envelope
    assert b"canary-question-5521" not in everything_in(redis_conn)


def test_a_tampered_message_shows_a_notice_and_nothing_else_breaks(
    settings, reporter: Reporter, follower: Follower, rows
):
    receipt = signed_in(reporter, follower, rows)
    portal.jobs.configure(settings)
    good_id, good = sealed_message(receipt, "Thank you for telling us.")
    bad_id, bad = sealed_message(receipt, "This one was changed.")
    bad = bad[:-5] + bytes([bad[-5] ^ 1]) + bad[-4:]
    moved_id = str(uuid.uuid4())
    _, moved = sealed_message(receipt, "Filed under another id")
    for message_id, sealed in [(good_id, good), (bad_id, bad), (moved_id, moved)]:
        portal.jobs.store_message(message_id, receipt.envelope_id, b64(sealed))
    response = follower.mailbox()
    page = text_of(response)
    assert response.status_code == 200
    assert "Thank you for telling us." in page
    assert "2 messages could not be opened" in page
    assert "This one was changed." not in page and "Filed under another id" not in page
    assert 'name="text"' in page  # the reply form still works


def test_status_follows_triage_and_keeps_the_newest(
    settings, reporter: Reporter, follower: Follower, rows, redis_conn
):
    receipt = signed_in(reporter, follower, rows)
    assert "on its way to the team" in text_of(follower.mailbox())
    enqueue_acknowledgement(redis_conn, receipt.envelope_id, "stored")
    portal.worker.run(settings, burst=True)
    assert "The team has your report" in text_of(follower.mailbox())

    start = datetime.now(UTC)
    enqueue_report_status(
        redis_conn, receipt.envelope_id, "in_review", (start + timedelta(minutes=2)).isoformat()
    )
    # An older status arriving late does not win.
    enqueue_report_status(redis_conn, receipt.envelope_id, "received", start.isoformat())
    portal.worker.run(settings, burst=True)
    assert "Being reviewed" in text_of(follower.mailbox())
    enqueue_report_status(
        redis_conn, receipt.envelope_id, "closed", (start + timedelta(minutes=5)).isoformat()
    )
    portal.worker.run(settings, burst=True)
    page = text_of(follower.mailbox())
    assert "Closed" in page and "finished with your report" in page
    portal.jobs.record_report_status(receipt.envelope_id, "deleted", start.isoformat())
    portal.jobs.record_report_status(receipt.envelope_id, "in_review", "yesterday")
    assert rows.receipts()[0].status == "closed"


def test_reply_goes_through_the_outbox_sealed_to_the_unit(
    settings, reporter: Reporter, follower: Follower, rows, redis_conn, unit_key_dirs
):
    receipt = signed_in(reporter, follower, rows)
    signed_in_at = receipt.last_activity_at
    answer = "Lincoln High, he posted it Tuesday. canary-reply-8812"
    response = follower.reply(answer, files=[(jpeg_with_gps(), "IMG_0042.jpg"), (EXE, "x.jpg")])
    page = text_of(response)
    assert response.status_code == 200
    assert "It was sent to the team" in page
    assert "IMG_0042.jpg" in page and "1 file could not be attached" in page

    reply = next(e for e in rows.outbox() if e.purpose == "reply")
    assert reply.report_envelope_id == receipt.envelope_id
    document = decode_reply(open_plaintext(reply.envelope, unit_key_dirs, Purpose.REPORTER_REPLY))
    assert document["report_envelope_id"] == receipt.envelope_id
    assert document["envelope_id"] == reply.id and document["text"] == answer
    [photo] = document["attachments"]
    [row] = [a for a in rows.attachments() if a.envelope_id == reply.id]
    assert metadata_left(open_attachment(row.sealed, photo))["gps"] == {}

    intake = {job.id: job for job in queue(INTAKE_QUEUE, redis_conn).get_jobs()}
    assert intake[f"ingest-{reply.id}-0"].func_name == INGEST_ENVELOPE
    assert f"attachment-{row.id}-0" in intake
    assert b"canary-reply-8812" not in reply.envelope
    assert b"canary-reply-8812" not in everything_in(redis_conn)
    assert rows.receipts()[0].last_activity_at > signed_in_at

    # The mailbox lists the reply by date only, and says when the team has it.
    page = text_of(follower.mailbox())
    assert "You replied" in page and "with 1 file" in page and answer not in page
    assert "On its way to the team" in page
    enqueue_acknowledgement(redis_conn, reply.id, "stored")
    portal.worker.run(settings, burst=True)
    assert "The team has it" in text_of(follower.mailbox())


def test_empty_reply_is_refused_and_nothing_is_sent(reporter: Reporter, follower: Follower, rows):
    signed_in(reporter, follower, rows)
    response = follower.reply("   ", files=[(EXE, "program.jpg")])
    page = text_of(response)
    assert response.status_code == 422
    assert "Please write an answer, or add a file" in page
    assert "program.jpg" in page and "only take photos" in page
    assert [e.purpose for e in rows.outbox()] == ["report"]


def test_reply_needs_a_live_session(reporter: Reporter, follower: Follower, rows, sessions):
    signed_in(reporter, follower, rows)
    with transaction(sessions) as session:
        for receipt in session.query(Receipt):
            receipt.last_activity_at -= timedelta(days=91)
    response = follower.client.get("/follow-up/mailbox")
    assert response.status_code == 410
    assert "This receipt code has expired" in text_of(response)
    assert follower.session_cookie() is None


def test_an_answer_typed_while_the_session_ended_is_kept(
    reporter: Reporter, follower: Follower, rows, redis_conn
):
    code = receipt_code_on(reporter.submit().get_data(as_text=True))
    follower.sign_in(code)
    token_page = follower.mailbox().get_data(as_text=True)
    redis_conn.flushdb()  # the session ended (idle timeout) while they were typing
    answer = "It was on Tuesday, after lunch."
    response = follower.client.post(
        "/follow-up/reply",
        data={"text": answer, "csrf_token": csrf_token(token_page)},
        content_type="multipart/form-data",
    )
    page = text_of(response)
    assert response.status_code == 401
    assert "Your answer has not been sent yet, but it is kept" in page
    assert [e.purpose for e in rows.outbox()] == ["report"]  # nothing sent without a session

    again = follower.client.post(
        "/follow-up",
        data={"code": code, "text": answer, "csrf_token": csrf_token(response.get_data(True))},
    )
    assert again.status_code == 200
    restored = again.get_data(as_text=True)
    assert answer in restored and "Your answer is back in the box" in text_of(again)
    assert follower.session_cookie()
    assert follower.reply(answer).status_code == 200
    assert [e.purpose for e in rows.outbox()] == ["report", "reply"]


def test_too_many_replies_get_a_kind_429_with_the_answer_kept(
    make_settings, client_factory, reporter: Reporter, rows
):
    code = receipt_code_on(reporter.submit().get_data(as_text=True))
    follower = Follower(client_factory(make_settings(TIPLINE_SUBMIT_RATE_LIMIT="1 per minute")))
    follower.sign_in(code)
    assert follower.reply("First answer").status_code == 200
    response = follower.reply("Second answer, keep me")
    page = text_of(response)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "this answer has not been sent" in page and "Second answer, keep me" in page
    assert [e.purpose for e in rows.outbox()] == ["report", "reply"]
