"""Intake: a sealed report becomes one queue item, still sealed; failures become dead letters."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.triage.conftest import report_document
from tipline import keys
from tipline.db import transaction
from tipline.envelope import Purpose, open_envelope, seal
from tipline.queue_contract import ACK_DEAD_LETTER, ACK_STORED
from tipline.report_schema import decode, encode
from triage.intake import InvalidJob, ingest
from triage.models import AuditEvent, DeadLetter, QueueItem

NOW = datetime(2030, 1, 6, 9, 2, tzinfo=UTC)
SUBMITTED = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)  # report_document's submitted_at


def run_ingest(sessions, keyring, rules, envelope_id, envelope, now=NOW) -> str:
    with transaction(sessions) as session:
        return ingest(session, keyring, rules, envelope_id, envelope, now)


def counts(sessions) -> tuple[int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(QueueItem)),
            session.scalar(select(func.count()).select_from(DeadLetter)),
        )


def test_report_is_queued_with_tier_reasons_and_body_still_sealed(
    sessions, keyring, rules, sealed_report, caplog
) -> None:
    caplog.set_level(logging.INFO)
    envelope_id, envelope, document = sealed_report(
        what_happened="He said he would bring his father's gun to school on Friday.",
        category="threat_of_violence",
        weapons_access="yes",
        subject="markersubject",
    )
    assert run_ingest(sessions, keyring, rules, envelope_id, envelope) == ACK_STORED

    with sessions() as session:
        (item,) = session.scalars(select(QueueItem)).all()
        assert item.envelope_id == envelope_id
        assert item.tier == "P1"
        assert item.category == "threat_of_violence"
        assert item.status == "new"
        assert item.received_at == SUBMITTED
        assert item.due_at == SUBMITTED + timedelta(minutes=15)
        assert {r["rule"] for r in item.reasons} >= {"weapons-with-threat", "weapons-access"}
        assert all(set(r) == {"rule", "text", "tier"} for r in item.reasons)
        # Kept exactly as received, and it still opens with the unit's key.
        assert bytes(item.sealed_body) == envelope
        assert b"markersubject" not in bytes(item.sealed_body)
        assert decode(open_envelope(bytes(item.sealed_body), keyring, Purpose.REPORT)) == document
        assert item.key_id in keyring
        event, paged = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert (event.action, event.officer_id, event.item_id) == ("ingested", None, item.id)
        # Paging starts at once; this unit has nobody to page (triage.paging).
        assert (paged.action, paged.item_id) == ("page-exhausted", item.id)
    # Life safety is logged loudly, with the item id and nothing from the report.
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [f"life-safety report queued: item {item.id}"]
    assert not any("markersubject" in r.getMessage() for r in caplog.records)


def test_delivering_twice_stores_once(sessions, keyring, rules, sealed_report) -> None:
    envelope_id, envelope, _ = sealed_report()
    assert run_ingest(sessions, keyring, rules, envelope_id, envelope) == ACK_STORED
    assert run_ingest(sessions, keyring, rules, envelope_id, envelope) == ACK_STORED
    assert counts(sessions) == (1, 0)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_due_clock_never_starts_in_the_future(sessions, keyring, rules, sealed_report) -> None:
    envelope_id, envelope, _ = sealed_report(danger_now="yes")
    early = SUBMITTED - timedelta(hours=1)  # worker clock behind the portal's
    run_ingest(sessions, keyring, rules, envelope_id, envelope, now=early)
    with sessions() as session:
        item = session.scalars(select(QueueItem)).one()
        assert item.received_at == early
        assert item.due_at == early + timedelta(minutes=15)


def tampered(envelope: bytes) -> bytes:
    damaged = bytearray(envelope)
    damaged[-5] ^= 0x01
    return bytes(damaged)


def sealed_to_stranger(envelope_id: str) -> bytes:
    stranger = keys.generate(keys.SuiteId.X25519)
    return seal(encode(report_document(envelope_id)), stranger.public, Purpose.REPORT)


@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("tampered", "tampered"),
        ("unknown-key", "unknown-key"),
        ("invalid-report", "invalid-report"),
        ("id-mismatch", "envelope-id-mismatch"),
        ("wrong-purpose", "wrong-purpose"),
        ("not-an-envelope", "malformed"),
    ],
)
def test_unreadable_envelopes_become_dead_letters(
    sessions, keyring, rules, sealed_report, unit_key_dirs, case, kind
) -> None:
    envelope_id, envelope, _ = sealed_report(what_happened="markernarrative")
    public = keys.newest_public_key(unit_key_dirs["public"])
    if case == "tampered":
        envelope = tampered(envelope)
    elif case == "unknown-key":
        envelope = sealed_to_stranger(envelope_id)
    elif case == "invalid-report":
        envelope = seal(
            b'{"schema": "tipline.report/1", "what": "markernarrative"}', public, Purpose.REPORT
        )
    elif case == "id-mismatch":
        _, envelope, _ = sealed_report(what_happened="markernarrative")  # another id inside
    elif case == "wrong-purpose":
        envelope = seal(b"markernarrative", public, Purpose.MESSAGE_TO_REPORTER)
    else:
        envelope = b"markernarrative"

    assert run_ingest(sessions, keyring, rules, envelope_id, envelope) == ACK_DEAD_LETTER
    assert counts(sessions) == (0, 1)
    with sessions() as session:
        letter = session.scalars(select(DeadLetter)).one()
        assert letter.envelope_id == envelope_id
        assert letter.error_kind == kind
        assert letter.error_message and "markernarrative" not in letter.error_message
        assert bytes(letter.raw_envelope) == envelope  # kept for investigation
        event = session.scalars(select(AuditEvent)).one()
        assert event.action == "dead-lettered" and event.detail["kind"] == kind

    # Re-delivery answers the same way and adds nothing.
    assert run_ingest(sessions, keyring, rules, envelope_id, envelope) == ACK_DEAD_LETTER
    assert counts(sessions) == (0, 1)


def test_a_job_with_a_forged_envelope_id_is_refused(sessions, keyring, rules) -> None:
    with pytest.raises(InvalidJob):
        run_ingest(sessions, keyring, rules, "../../etc/passwd", b"x")
    with pytest.raises(InvalidJob):
        run_ingest(sessions, keyring, rules, str(uuid.uuid4()).upper(), b"x")
    assert counts(sessions) == (0, 0)
