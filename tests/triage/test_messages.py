"""Questions to the reporter: sealed to the reporter's own key, sent after commit, re-sent until
the portal has them, and the portal's answer shown to officers."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.triage.conftest import reply_to_for
from tests.triage.helpers import (
    csrf_from,
    ingest_envelope,
    item_id_of,
    post_message,
    redis_dump,
    table_dump,
)
from tipline.db import transaction
from tipline.envelope import Purpose, open_envelope
from tipline.followup_schema import decode_message
from tipline.queue_contract import (
    MESSAGE_NO_MAILBOX,
    MESSAGE_STORED,
    PORTAL_QUEUE,
    RECORD_REPORT_STATUS,
    STORE_MESSAGE,
    enqueue_message_delivery,
    queue,
    unb64,
)
from triage import jobs, messages, worker
from triage.models import AuditEvent, Message, Officer, QueueItem
from triage.sealing import UnitCrypto


@pytest.fixture
def reporter_item(sessions, keyring, rules, sealed_report, reporter_key) -> tuple[int, str]:
    """A report whose reporter can be written to: (item id, report envelope id)."""
    envelope_id, envelope, _ = sealed_report(reply_to=reply_to_for(reporter_key))
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    return item_id_of(sessions, envelope_id), envelope_id


def portal_jobs(redis_conn, func: str | None = None) -> list:
    found = queue(PORTAL_QUEUE, redis_conn).get_jobs()
    return [j for j in found if func is None or j.func_name == func]


def queue_row(client, item_id: int) -> str:
    page = client.get("/queue?status=all").get_data(as_text=True)
    (row,) = re.findall(
        rf'<tr data-tier="P\d"[^>]*>(?:(?!</tr>).)*?/items/{item_id}".*?</tr>', page, re.DOTALL
    )
    return row


def test_a_question_reaches_the_portal_sealed_to_the_reporter_and_nowhere_in_clear(
    logged_in, sessions, reporter_item, reporter_key, redis_conn, triage_db_url
) -> None:
    item_id, report_id = reporter_item
    canary = f"questioncanary{uuid.uuid4().hex[:8]}"
    question = f"Which school is it? {canary}"

    response = post_message(logged_in, item_id, question)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/items/{item_id}#conversation")

    # The portal gets the question sealed to the reporter's key: their private key opens it.
    (job,) = portal_jobs(redis_conn, STORE_MESSAGE)
    message_id, envelope_id, sealed_b64 = job.args
    assert envelope_id == report_id
    opened = open_envelope(
        unb64(sealed_b64), {reporter_key.key_id: reporter_key}, Purpose.MESSAGE_TO_REPORTER
    )
    assert decode_message(opened)["text"] == question
    assert decode_message(opened)["message_id"] == message_id
    (status,) = portal_jobs(redis_conn, RECORD_REPORT_STATUS)
    assert status.args[:2] == [report_id, "in_review"]

    with sessions() as session:
        message = session.get(Message, message_id)
        assert (message.item_id, message.direction, message.send_count) == (
            item_id,
            "to_reporter",
            1,
        )
        assert message.officer.username == "alice" and message.last_sent_at is not None
        item = session.get(QueueItem, item_id)
        assert (item.status, item.awaiting_reporter) == ("in_review", True)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "message-sent")).one()
        assert (event.item_id, event.officer_id, event.detail) == (
            item_id,
            message.officer_id,
            {"message": message_id},
        )

    # Nothing holds the question in clear: not the triage database, not Redis.
    stored, queued = table_dump(triage_db_url), redis_dump(redis_conn)
    assert any(message_id.encode() in v for v in stored)  # the searches do see the data
    assert any(message_id.encode() in v for v in queued)
    assert not [v for v in stored if canary.encode() in v]
    assert not [v for v in queued if canary.encode() in v]

    # Officers read it back from the unit's own sealed copy.
    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert question in page and "Question</strong> from alice" in page
    assert "Not yet in the reporter's mailbox" in page
    assert "Awaiting reporter" in queue_row(logged_in, item_id)


def test_a_reporter_without_a_receipt_key_cannot_be_messaged(
    logged_in, sessions, keyring, rules, sealed_report, redis_conn
) -> None:
    envelope_id, envelope, _ = sealed_report()  # no reply_to
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    item_id = item_id_of(sessions, envelope_id)

    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "This reporter cannot be messaged" in page and 'name="text"' not in page

    response = logged_in.post(
        f"/items/{item_id}/messages", data={"text": "Hello?", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 409
    assert "This reporter cannot be messaged" in response.get_data(as_text=True)
    with sessions() as session:
        assert session.scalars(select(Message)).all() == []
    assert portal_jobs(redis_conn) == []


def test_only_a_valid_form_from_the_items_unit_sends_anything(
    logged_in, stranger, sessions, reporter_item, redis_conn
) -> None:
    item_id, _ = reporter_item
    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    token = csrf_from(page)

    no_token = logged_in.post(f"/items/{item_id}/messages", data={"text": "Which school?"})
    assert no_token.status_code == 400
    blank = logged_in.post(f"/items/{item_id}/messages", data={"text": "  ", "csrf_token": token})
    assert blank.status_code == 400 and "Write the message first." in blank.get_data(as_text=True)
    too_long = logged_in.post(
        f"/items/{item_id}/messages", data={"text": "x" * 5001, "csrf_token": token}
    )
    assert too_long.status_code == 400

    token = csrf_from(stranger.get("/queue").get_data(as_text=True))
    other_unit = stranger.post(
        f"/items/{item_id}/messages", data={"text": "Which school?", "csrf_token": token}
    )
    assert other_unit.status_code == 404

    with sessions() as session:
        assert session.scalars(select(Message)).all() == []
        denied = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access-denied")
        ).one()
        assert (
            denied.officer_id
            == session.scalars(select(Officer.id).where(Officer.username == "bob")).one()
        )
    assert portal_jobs(redis_conn) == []


def test_questions_are_sent_again_until_the_portal_has_them(
    logged_in, intake, sessions, reporter_item, redis_conn
) -> None:
    item_id, report_id = reporter_item
    post_message(logged_in, item_id, "Which school is it?")
    with sessions() as session:
        message_id = session.scalars(select(Message.id)).one()
    redis_conn.flushdb()  # Redis restarted empty: the first send is lost

    now = datetime.now(UTC)
    assert messages.relay(sessions, redis_conn, 60, now=now) == 0  # sent moments ago
    assert messages.relay(sessions, redis_conn, 60, now=now + timedelta(minutes=2)) == 1
    (job,) = portal_jobs(redis_conn, STORE_MESSAGE)
    assert job.id == f"message-{message_id}-1"  # attempt = sends so far
    assert job.args[:2] == [message_id, report_id]
    assert [j.args[:2] for j in portal_jobs(redis_conn, RECORD_REPORT_STATUS)] == [
        [report_id, "in_review"]
    ]

    # The portal has it: no more re-sends, and officers see it arrived.
    assert jobs.record_message_delivery(message_id, MESSAGE_STORED) is True
    assert jobs.record_message_delivery(message_id, MESSAGE_STORED) is True  # idempotent
    assert messages.relay(sessions, redis_conn, 60, now=now + timedelta(hours=1)) == 0
    with sessions() as session:
        message = session.get(Message, message_id)
        assert (message.delivery_outcome, message.send_count) == (MESSAGE_STORED, 2)
        assert message.delivered_at is not None
    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "In the reporter's mailbox since" in page
    assert "Awaiting reporter" in queue_row(logged_in, item_id)

    assert jobs.record_message_delivery(str(uuid.uuid4()), MESSAGE_STORED) is False
    assert jobs.record_message_delivery(message_id, "read-it") is False


def test_an_expired_receipt_is_shown_and_stops_further_questions(
    logged_in, intake, sessions, reporter_item, redis_conn
) -> None:
    item_id, _ = reporter_item
    post_message(logged_in, item_id, "Which school is it?")
    with sessions() as session:
        message_id = session.scalars(select(Message.id)).one()

    assert jobs.record_message_delivery(message_id, MESSAGE_NO_MAILBOX) is True

    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Not delivered: the reporter's receipt code has expired" in page
    assert 'name="text"' not in page
    row = queue_row(logged_in, item_id)
    assert "Code expired" in row and "Awaiting reporter" not in row
    assert messages.relay(sessions, redis_conn, 0, now=datetime.now(UTC) + timedelta(hours=1)) == 0

    again = logged_in.post(
        f"/items/{item_id}/messages", data={"text": "Still there?", "csrf_token": csrf_from(page)}
    )
    assert again.status_code == 409 and "expired" in again.get_data(as_text=True)
    with sessions() as session:
        assert len(session.scalars(select(Message)).all()) == 1
        assert session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "reporter-unreachable")
        ).one()


def test_the_intake_worker_relays_questions_and_records_deliveries(
    settings, sessions, keyring, reporter_item, officer, redis_conn
) -> None:
    item_id, report_id = reporter_item
    crypto = UnitCrypto(keyring)
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        alice = session.scalars(select(Officer)).one()
        never_sent = messages.send_question(session, crypto, item, alice, "First?", now)
        just_sent = messages.send_question(session, crypto, item, alice, "Second?", now)
        just_sent.last_sent_at, just_sent.send_count = now, 1
    enqueue_message_delivery(redis_conn, just_sent.id, MESSAGE_STORED)

    worker.run(settings, burst=True)

    (job,) = portal_jobs(redis_conn, STORE_MESSAGE)
    assert job.args[:2] == [never_sent.id, report_id]
    with sessions() as session:
        assert session.get(Message, just_sent.id).delivery_outcome == MESSAGE_STORED
        assert session.get(Message, never_sent.id).send_count == 1


def test_replies_stand_out_in_the_queue_until_an_officer_reads_them(
    logged_in, sessions, keyring, rules, reporter_item, sealed_reply
) -> None:
    item_id, report_id = reporter_item
    post_message(logged_in, item_id, "Which school is it?")
    row = queue_row(logged_in, item_id)
    assert "Awaiting reporter" in row and "Reporter replied" not in row

    reply_id, reply, _ = sealed_reply(
        report_id, text="Lincoln High.", submitted_at=datetime.now(UTC).isoformat()
    )
    ingest_envelope(sessions, keyring, rules, reply_id, reply)

    queue_page = logged_in.get("/queue").get_data(as_text=True)
    assert "1 item with replies nobody has read yet" in queue_page
    row = queue_row(logged_in, item_id)
    assert 'class="has-reply"' in row and "Reporter replied" in row
    assert "Awaiting reporter" not in row

    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert page.index("Which school is it?") < page.index("Lincoln High.")  # in order
    assert "New</span>" in page

    row = queue_row(logged_in, item_id)
    assert "Reporter replied" not in row and "has-reply" not in row
    assert "New</span>" not in logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "replies nobody has read" not in logged_in.get("/queue").get_data(as_text=True)
