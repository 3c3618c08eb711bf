"""The report document: what the portal seals and the intake worker opens (schema version 1).

Both sides agree on this module and nothing else about a report's content. The document is
UTF-8 JSON. Any change that an older intake worker could not read gets a new ``schema`` id.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_ID_V1 = "tipline.report/1"
# Version 2 adds ``organization`` (which school, workplace or agency the report is about). New
# reports are written as version 2; intake reads both.
SCHEMA_ID = "tipline.report/2"
SCHEMA_IDS = (SCHEMA_ID_V1, SCHEMA_ID)
ORGANIZATION_ID_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$"

CATEGORIES: dict[str, str] = {
    "threat_of_violence": "Threat of violence",
    "weapons": "Weapons",
    "self_harm": "Self-harm or suicide",
    "bullying": "Bullying or harassment",
    "online_posts": "Concerning online posts",
    "other": "Something else",
}
LOCATION_TYPES: dict[str, str] = {
    "": "Not sure / prefer not to say",
    "school": "A school",
    "workplace": "A workplace",
    "other_place": "Another place",
}
YES_NO_UNSURE: dict[str, str] = {"unsure": "Not sure", "yes": "Yes", "no": "No"}
HOW_KNOWN: dict[str, str] = {
    "": "Prefer not to say",
    "saw_or_heard": "I saw or heard it myself",
    "online": "I saw it online",
    "told_by_person": "The person told me",
    "told_by_someone_else": "Someone else told me",
    "other": "Another way",
}
CHANNELS = ("web",)

LIMITS = {
    "what_happened": 5000,
    "subject": 300,
    "location": 300,
    "when": 200,
    "how_known_detail": 500,
    "contact_name": 120,
    "contact_email": 254,
    "contact_phone": 40,
}


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length}


# Media types an attachment may have, decided from the file's content (never its name).
ATTACHMENT_MEDIA_TYPES: dict[str, str] = {
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/webp": "WebP image",
    "image/heic": "HEIC image",
    "application/pdf": "PDF document",
    "text/plain": "Text file",
}
MAX_ATTACHMENTS = 5
ATTACHMENT_NAME_MAX = 200

# One attached file, as described inside a sealed document. ``key`` (base64 of 32 bytes) opens
# the separately sealed file (tipline.attachments); only holders of the unit key ever see it.
ATTACHMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "media_type", "size", "sha256", "key"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": ATTACHMENT_NAME_MAX},
        "media_type": {"enum": list(ATTACHMENT_MEDIA_TYPES)},
        "size": {"type": "integer", "minimum": 0, "maximum": 1024 * 1024 * 1024},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "key": {"type": "string", "pattern": "^[A-Za-z0-9+/]{43}=$"},
    },
}
ATTACHMENTS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": MAX_ATTACHMENTS,
    "items": ATTACHMENT_SCHEMA,
}
ORGANIZATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ORGANIZATION_ID_PATTERN},
        "name": {"type": "string", "maxLength": 200},
    },
}
# Where the unit's messages can reach the reporter: the receipt's lookup id and public key.
REPLY_TO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["lookup_id", "public_key"],
    "properties": {
        "lookup_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "public_key": {"type": "string", "maxLength": 100},
    },
}


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "kind", "envelope_id", "submitted_at", "channel", "report", "contact"],
    "properties": {
        "schema": {"enum": list(SCHEMA_IDS)},
        # The outbox id, sealed inside so that a job replayed under another id is detected.
        "envelope_id": {"type": "string", "pattern": "^[0-9a-f-]{36}$"},
        "kind": {"const": "report"},
        "submitted_at": {"type": "string", "format": "date-time", "maxLength": 40},
        "channel": {"enum": list(CHANNELS)},
        "report": {
            "type": "object",
            "additionalProperties": False,
            "required": ["what_happened", "category", "danger_now", "weapons_access"],
            "properties": {
                "what_happened": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": LIMITS["what_happened"],
                },
                "category": {"enum": list(CATEGORIES)},
                "subject": _text(LIMITS["subject"]),
                "location_type": {"enum": list(LOCATION_TYPES)},
                "location": _text(LIMITS["location"]),
                "when": _text(LIMITS["when"]),
                "danger_now": {"enum": list(YES_NO_UNSURE)},
                "weapons_access": {"enum": list(YES_NO_UNSURE)},
                "how_known": {"enum": list(HOW_KNOWN)},
                "how_known_detail": _text(LIMITS["how_known_detail"]),
            },
        },
        "contact": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "name": _text(LIMITS["contact_name"]),
                        "email": _text(LIMITS["contact_email"]),
                        "phone": _text(LIMITS["contact_phone"]),
                    },
                },
            ]
        },
        "attachments": ATTACHMENTS_SCHEMA,
        # From the directory the portal shows ("id"), or typed by the reporter as "not listed"
        # ("name"). Version 2 only.
        "organization": ORGANIZATION_SCHEMA,
        "reply_to": REPLY_TO_SCHEMA,
    },
    "if": {"properties": {"schema": {"const": SCHEMA_ID_V1}}},
    "then": {"not": {"required": ["organization"]}},
}

_VALIDATOR = Draft202012Validator(SCHEMA)


class ReportInvalid(ValueError):
    """The document does not follow the schema. The message names fields, never values."""


def check(validator: Draft202012Validator, schema_id: str, document: object) -> dict[str, Any]:
    """Validate against one schema; the error names the failing fields, never their values."""
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        where = {"/".join(str(p) for p in e.absolute_path) or "(document)" for e in errors}
        raise ReportInvalid(f"document does not match {schema_id} at: {', '.join(sorted(where))}")
    assert isinstance(document, dict)
    return document


def parse_json(data: bytes) -> object:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ReportInvalid("document is not UTF-8 JSON") from None


def dump_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def validate(document: object) -> dict[str, Any]:
    """Return ``document`` if it is a valid version-1 report, else raise ``ReportInvalid``."""
    return check(_VALIDATOR, SCHEMA_ID, document)


def encode(document: dict[str, Any]) -> bytes:
    """Validate and serialise a report for sealing."""
    return dump_json(validate(document))


def decode(data: bytes) -> dict[str, Any]:
    """Parse and validate an opened report; raises ``ReportInvalid``."""
    return validate(parse_json(data))
