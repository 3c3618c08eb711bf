"""The public directory: what the portal may know about organizations, published by triage.

The portal cannot read the triage database, yet its forms offer the list of organizations and
its referral links name one. Triage therefore publishes this document over queue "portal"
(``store_directory``) whenever an administrator changes it, and again every few minutes; the
portal keeps the newest ``version``.

It holds only what may be public: organization ids, names, kinds, parents, and the SHA-256 of
each live referral-link token (so the portal can greet "Referral for Lincoln High School"
without holding the tokens; tokens are 192-bit random, so their hashes reveal nothing).
Triage still verifies every token itself at intake: the portal's copy may be minutes old.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from jsonschema import Draft202012Validator

from tipline.report_schema import ORGANIZATION_ID_PATTERN, ReportInvalid, check

SCHEMA_ID = "tipline.directory/1"
ORGANIZATION_KINDS: dict[str, str] = {
    "school": "School",
    "district": "School district",
    "college": "College or university",
    "employer": "Employer",
    "agency": "Agency",
    "other": "Other",
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "version", "organizations"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "version": {"type": "integer", "minimum": 0},
        "organizations": {
            "type": "array",
            "maxItems": 20000,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name", "kind"],
                "properties": {
                    "id": {"type": "string", "pattern": ORGANIZATION_ID_PATTERN},
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "kind": {"enum": list(ORGANIZATION_KINDS)},
                    "parent": {"type": ["string", "null"], "pattern": ORGANIZATION_ID_PATTERN},
                    "token_hashes": {
                        "type": "array",
                        "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    },
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)


def new_referral_token() -> str:
    """A referral-link token: 192 random bits, URL-safe. Shown once to the administrator."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def validate(document: object) -> dict[str, Any]:
    return check(_VALIDATOR, SCHEMA_ID, document)


def encode(document: dict[str, Any]) -> str:
    return json.dumps(validate(document), ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        raise ReportInvalid("directory is not JSON") from None
    return validate(document)
