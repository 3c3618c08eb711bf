"""Reporter replies at intake: joined to their item, idempotent, deferred until their report is
here, dead-lettered when they cannot be trusted."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tipline.db import transaction
from tipline.envelope import Purpose, seal
from tipline.keys import newest_public_key
from tipline.queue_contract import (
    ACK_DEAD_LETTER,
    ACK_STORED,
    PORTAL_QUEUE,
    RECORD_ACKNOWLEDGEMENT,
    b64,
    queue,
)
from triage import jobs
from triage.conversation import mark_replies_read
from triage.intake import DEFERRED, ingest
from triage.models import AuditEvent, DeadLetter, Message, QueueItem

NOW = datetime(2030, 1, 6, 12, 0, tzinfo=UTC)
REPLIED = datetime(2030, 1, 6, 10, 0, tzinfo=UTC)  # sealed_reply's submitted_at


def run_ingest(sessions, keyring, rules, envelope_id, envelope) -> str:
    with transaction(sessions) as session:
        return ingest(session, keyring, rules, envelope_id, envelope, NOW)


def acknowledgements(redis_conn) -> list[tuple[str, list]]:
    return [(j.func_name, j.args) for j in queue(PORTAL_QUEUE, redis_conn).get_jobs()]


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_reply_joins_the_conversation_of_its_report(
    sessions, keyring, rules, sealed_report, sealed_reply
) -> None:
    report_id, report, _ = sealed_report()
    assert run_ingest(sessions, keyring, rules, report_id, report) == ACK_STORED
    reply_id, reply, _ = sealed_reply(report_id, text="replycanary Lincoln High")

    assert run_ingest(sessions, keyring, rules, reply_id, reply) == ACK_STORED

    with sessions() as session:
        item = session.scalars(select(QueueItem)).one()
        message = session.scalars(select(Message)).one()
        assert (message.item_id, message.direction) == (item.id, "from_reporter")
        assert message.envelope_id == reply_id
        assert bytes(message.unit_copy) == reply  # kept exactly as received, still sealed
        assert message.created_at == REPLIED
        assert (item.unread_replies, item.reporter_replied_at) == (1, REPLIED)
        assert item.awaiting_reporter is False  # nobody asked anything
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "reply-received")
        ).one()
        assert event.item_id == item.id and event.detail == {
            "message": message.id,
            "attachments": 0,
        }


def test_a_reply_delivered_twice_is_stored_once(
    sessions, keyring, rules, sealed_report, sealed_reply
) -> None:
    report_id, report, _ = sealed_report()
    run_ingest(sessions, keyring, rules, report_id, report)
    reply_id, reply, _ = sealed_reply(report_id)
    assert run_ingest(sessions, keyring, rules, reply_id, reply) == ACK_STORED
    assert run_ingest(sessions, keyring, rules, reply_id, reply) == ACK_STORED
    assert count(sessions, Message) == 1
    with sessions() as session:
        assert session.scalars(select(QueueItem.unread_replies)).one() == 1


def test_a_reply_that_overtakes_its_report_waits_unacknowledged(
    intake, sessions, sealed_report, sealed_reply, redis_conn, caplog
) -> None:
    caplog.set_level(logging.INFO)
    report_id, report, _ = sealed_report()
    reply_id, reply, _ = sealed_reply(report_id, text="replycanary early answer")

    assert jobs.ingest_envelope(reply_id, b64(reply)) == DEFERRED
    assert acknowledgements(redis_conn) == []  # so the portal's relay sends it again
    assert (count(sessions, Message), count(sessions, DeadLetter)) == (0, 0)
    assert reply_id in caplog.text and "replycanary" not in caplog.text

    # The report arrives; the relayed reply is then stored and acknowledged.
    assert jobs.ingest_envelope(report_id, b64(report)) == ACK_STORED
    assert jobs.ingest_envelope(reply_id, b64(reply)) == ACK_STORED
    assert acknowledgements(redis_conn) == [
        (RECORD_ACKNOWLEDGEMENT, [report_id, ACK_STORED]),
        (RECORD_ACKNOWLEDGEMENT, [reply_id, ACK_STORED]),
    ]
    assert count(sessions, Message) == 1


def flip_last_byte(envelope: bytes) -> bytes:
    damaged = bytearray(envelope)
    damaged[-1] ^= 0x01
    return bytes(damaged)


@pytest.mark.parametrize("case", ["tampered", "invalid-reply", "envelope-id-mismatch"])
def test_an_untrustworthy_reply_becomes_a_dead_letter(
    intake, sessions, sealed_report, sealed_reply, unit_key_dirs, redis_conn, case
) -> None:
    report_id, report, _ = sealed_report()
    jobs.ingest_envelope(report_id, b64(report))
    reply_id, reply, _ = sealed_reply(report_id, text="replycanary")
    if case == "tampered":
        reply = flip_last_byte(reply)
    elif case == "invalid-reply":
        public = newest_public_key(unit_key_dirs["public"])
        reply = seal(
            b'{"schema": "tipline.reply/1", "x": "replycanary"}', public, Purpose.REPORTER_REPLY
        )
    else:
        _, reply, _ = sealed_reply(report_id, text="replycanary")  # another id inside

    assert jobs.ingest_envelope(reply_id, b64(reply)) == ACK_DEAD_LETTER
    assert count(sessions, Message) == 0
    with sessions() as session:
        letter = session.scalars(select(DeadLetter)).one()
        assert (letter.envelope_id, letter.error_kind) == (reply_id, case)
        assert "replycanary" not in letter.error_message
        assert session.scalars(select(QueueItem.unread_replies)).one() == 0
    assert acknowledgements(redis_conn)[-1] == (RECORD_ACKNOWLEDGEMENT, [reply_id, ACK_DEAD_LETTER])


def test_a_reply_to_a_dead_lettered_report_is_kept_as_a_dead_letter(
    sessions, keyring, rules, sealed_reply, sealed_report
) -> None:
    report_id, report, _ = sealed_report()
    assert run_ingest(sessions, keyring, rules, report_id, flip_last_byte(report)) == (
        ACK_DEAD_LETTER
    )
    reply_id, reply, _ = sealed_reply(report_id)
    # Not deferred for ever: there is no item it could ever join.
    assert run_ingest(sessions, keyring, rules, reply_id, reply) == ACK_DEAD_LETTER
    with sessions() as session:
        kinds = set(session.scalars(select(DeadLetter.error_kind)))
    assert kinds == {"tampered", "report-dead-lettered"}


def test_a_reply_arriving_while_an_officer_reads_the_item_stays_unread(
    sessions, keyring, rules, sealed_report, sealed_reply
) -> None:
    report_id, report, _ = sealed_report()
    run_ingest(sessions, keyring, rules, report_id, report)
    first_id, first_reply, _ = sealed_reply(report_id, text="First.")
    run_ingest(sessions, keyring, rules, first_id, first_reply)
    second_id, second_reply, _ = sealed_reply(report_id, text="Second.")
    results: list[str] = []

    # An officer's view is marking the first reply read, not yet committed, when the
    # intake worker stores a second one.
    viewing = sessions()
    try:
        item = viewing.scalars(select(QueueItem)).one()
        assert mark_replies_read(viewing, item, NOW) == 1
        arriving = threading.Thread(
            target=lambda: results.append(
                run_ingest(sessions, keyring, rules, second_id, second_reply)
            )
        )
        arriving.start()
        time.sleep(0.5)
        viewing.commit()
    finally:
        viewing.close()
    arriving.join(timeout=60)

    assert results == [ACK_STORED]
    with sessions() as session:
        # The officer saw only the first reply: the second still stands out in the queue.
        assert session.scalars(select(QueueItem.unread_replies)).one() == 1
