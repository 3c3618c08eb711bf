"""The documents both sides agree on: report, reply, message."""

from __future__ import annotations

import base64
import uuid

import pytest

from tipline import followup_schema, report_schema
from tipline.report_schema import ReportInvalid

ATTACHMENT = {
    "id": "0" * 32,
    "name": "screenshot.png",
    "media_type": "image/png",
    "size": 1234,
    "sha256": "f" * 64,
    "key": base64.b64encode(b"k" * 32).decode(),
}


def report(**changes: object) -> dict:
    doc = {
        "schema": report_schema.SCHEMA_ID,
        "kind": "report",
        "envelope_id": str(uuid.uuid4()),
        "submitted_at": "2026-11-23T08:00:00+00:00",
        "channel": "web",
        "report": {
            "what_happened": "x",
            "category": "other",
            "danger_now": "no",
            "weapons_access": "unsure",
        },
        "contact": None,
    }
    return doc | changes


def test_report_with_attachments_round_trips() -> None:
    doc = report(attachments=[ATTACHMENT])
    assert report_schema.decode(report_schema.encode(doc)) == doc


@pytest.mark.parametrize(
    "bad",
    [
        {"media_type": "application/x-msdownload"},
        {"key": "short"},
        {"id": "../../etc/passwd"},
        {"name": ""},
    ],
)
def test_bad_attachment_is_refused_and_named(bad: dict) -> None:
    with pytest.raises(ReportInvalid, match="attachments/0"):
        report_schema.encode(report(attachments=[ATTACHMENT | bad]))


def test_too_many_attachments() -> None:
    many = [ATTACHMENT | {"id": f"{i:032x}"} for i in range(report_schema.MAX_ATTACHMENTS + 1)]
    with pytest.raises(ReportInvalid):
        report_schema.encode(report(attachments=many))


def reply(**changes: object) -> dict:
    doc = {
        "schema": followup_schema.REPLY_SCHEMA_ID,
        "kind": "reply",
        "envelope_id": str(uuid.uuid4()),
        "report_envelope_id": str(uuid.uuid4()),
        "submitted_at": "2026-11-23T08:00:00+00:00",
        "text": "It was on Tuesday.",
    }
    return doc | changes


def test_reply_needs_text_or_a_file() -> None:
    assert followup_schema.decode_reply(followup_schema.encode_reply(reply()))["text"]
    followup_schema.encode_reply(reply(text="", attachments=[ATTACHMENT]))
    with pytest.raises(ReportInvalid):
        followup_schema.encode_reply(reply(text=""))
    with pytest.raises(ReportInvalid):
        followup_schema.encode_reply(reply(text="", attachments=[]))


def test_message_round_trip_and_errors_never_echo_content() -> None:
    msg = {
        "schema": followup_schema.MESSAGE_SCHEMA_ID,
        "kind": "message",
        "message_id": str(uuid.uuid4()),
        "sent_at": "2026-11-23T08:00:00+00:00",
        "text": "Which school is it?",
    }
    assert followup_schema.decode_message(followup_schema.encode_message(msg)) == msg
    secret = "secretcontent" * 500
    with pytest.raises(ReportInvalid) as error:
        followup_schema.encode_message(msg | {"text": secret})
    assert "secretcontent" not in str(error.value)
    with pytest.raises(ReportInvalid):
        followup_schema.decode_message(b"\xff\xfe not json")
