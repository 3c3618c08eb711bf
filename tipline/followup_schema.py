"""Follow-up documents: a reporter's reply, and a unit's message to the reporter.

- ``tipline.reply/1``: reporter -> unit, sealed to the unit's key (``Purpose.REPORTER_REPLY``)
  and sent through the portal's outbox like a report. ``report_envelope_id`` names the report
  it follows; the portal fills it from the receipt the reporter proved with their code.
- ``tipline.message/1``: unit -> reporter, sealed to the reporter's own X25519 key
  (``Purpose.MESSAGE_TO_REPORTER``) derived from their receipt code. The portal stores it and
  cannot read it; only someone holding the code can.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from tipline.report_schema import ATTACHMENTS_SCHEMA, check, dump_json, parse_json

REPLY_SCHEMA_ID = "tipline.reply/1"
MESSAGE_SCHEMA_ID = "tipline.message/1"
TEXT_LIMIT = 5000
_UUID = {"type": "string", "pattern": "^[0-9a-f-]{36}$"}
_TIME = {"type": "string", "format": "date-time", "maxLength": 40}

REPLY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "kind", "envelope_id", "report_envelope_id", "submitted_at", "text"],
    "properties": {
        "schema": {"const": REPLY_SCHEMA_ID},
        "kind": {"const": "reply"},
        "envelope_id": _UUID,
        "report_envelope_id": _UUID,
        "submitted_at": _TIME,
        "text": {"type": "string", "maxLength": TEXT_LIMIT},
        "attachments": ATTACHMENTS_SCHEMA,
    },
    # A reply says something, or brings a file, or both.
    "anyOf": [
        {"properties": {"text": {"minLength": 1}}},
        {"required": ["attachments"], "properties": {"attachments": {"minItems": 1}}},
    ],
}

MESSAGE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "kind", "message_id", "sent_at", "text"],
    "properties": {
        "schema": {"const": MESSAGE_SCHEMA_ID},
        "kind": {"const": "message"},
        "message_id": _UUID,
        "sent_at": _TIME,
        "text": {"type": "string", "minLength": 1, "maxLength": TEXT_LIMIT},
    },
}

_REPLY = Draft202012Validator(REPLY_SCHEMA)
_MESSAGE = Draft202012Validator(MESSAGE_SCHEMA)


def encode_reply(document: dict[str, Any]) -> bytes:
    return dump_json(check(_REPLY, REPLY_SCHEMA_ID, document))


def decode_reply(data: bytes) -> dict[str, Any]:
    return check(_REPLY, REPLY_SCHEMA_ID, parse_json(data))


def encode_message(document: dict[str, Any]) -> bytes:
    return dump_json(check(_MESSAGE, MESSAGE_SCHEMA_ID, document))


def decode_message(data: bytes) -> dict[str, Any]:
    return check(_MESSAGE, MESSAGE_SCHEMA_ID, parse_json(data))
