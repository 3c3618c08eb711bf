"""An identified referral from a school, employer or agency (``tipline.referral/1``).

Sealed to the unit like a report (``Purpose.REPORT``) and sent through the same outbox; intake
tells the two apart by ``schema``. The filer is identified (a counselor, an HR manager), the
concerning behaviors come from a checklist drawn from NTAC's and the threat assessment
literature's indicators, and the checklist feeds the scoring rules (field ``behaviors``).

``referral_token`` is whatever token the organization's referral link carried. The portal
passes it on unchecked; triage verifies it against the organization's live tokens and marks
the referral verified or not. A referral without a valid token is still taken.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from tipline.report_schema import (
    ATTACHMENTS_SCHEMA,
    CATEGORIES,
    LIMITS,
    LOCATION_TYPES,
    ORGANIZATION_ID_PATTERN,
    REPLY_TO_SCHEMA,
    YES_NO_UNSURE,
    check,
    dump_json,
    parse_json,
)

SCHEMA_ID = "tipline.referral/1"

BEHAVIORS: dict[str, str] = {
    "threats_communicated": "Threatened harm, or told someone they intend it",
    "leakage": "Hinted at or posted about an attack (leakage)",
    "weapons_interest": "Unusual interest in weapons",
    "attacker_interest": "Interest in or identification with past attackers",
    "planning": "Research, planning or preparation (a plan, a date, a target)",
    "fixation": "Fixation on a person, group or cause",
    "grievance": "A grievance or wish for revenge",
    "suicidal_statements": "Suicidal statements, hopelessness or last-resort talk",
    "recent_stressors": "Recent stressors (loss, discipline, breakup, job loss)",
    "sudden_changes": "Sudden changes in behavior, mood or appearance",
    "violence_aggression": "Violence or new aggression towards people or animals",
    "weapons_access": "Has access to weapons",
}
RELATIONS: dict[str, str] = {
    "teacher": "Teacher or instructor",
    "counselor": "Counselor, psychologist or social worker",
    "school_administrator": "School administrator",
    "school_resource_officer": "School resource officer",
    "hr": "Human resources",
    "security": "Security",
    "supervisor": "Supervisor or manager",
    "coworker": "Coworker",
    "other": "Other",
}
URGENCY: dict[str, str] = {
    "emergency": "Someone may be in danger right now",
    "today": "Needs attention today",
    "this_week": "Needs attention this week",
    "routine": "No rush; for the unit's awareness",
}
REFERRAL_LIMITS = LIMITS | {
    "filer_name": 120,
    "filer_role": 120,
    "filer_organization": 200,
    "relation_detail": 200,
    "actions_taken": 3000,
}


def _text(limit: int, required: bool = False) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit} | ({"minLength": 1} if required else {})


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "kind", "envelope_id", "submitted_at", "channel", "filer", "referral"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "kind": {"const": "referral"},
        "envelope_id": {"type": "string", "pattern": "^[0-9a-f-]{36}$"},
        "submitted_at": {"type": "string", "format": "date-time", "maxLength": 40},
        "channel": {"enum": ["web"]},
        "referral_token": {"type": ["string", "null"], "maxLength": 100},
        "filer": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "role"],
            "properties": {
                "name": _text(REFERRAL_LIMITS["filer_name"], required=True),
                "role": _text(REFERRAL_LIMITS["filer_role"], required=True),
                "organization_id": {"type": "string", "pattern": ORGANIZATION_ID_PATTERN},
                "organization_name": _text(REFERRAL_LIMITS["filer_organization"]),
                "email": _text(LIMITS["contact_email"]),
                "phone": _text(LIMITS["contact_phone"]),
            },
            # An identified filer can be reached.
            "anyOf": [
                {"required": ["email"], "properties": {"email": {"minLength": 3}}},
                {"required": ["phone"], "properties": {"phone": {"minLength": 3}}},
            ],
        },
        "referral": {
            "type": "object",
            "additionalProperties": False,
            "required": ["what_happened", "category", "relation", "behaviors", "urgency"],
            "properties": {
                "what_happened": _text(LIMITS["what_happened"], required=True),
                "category": {"enum": list(CATEGORIES)},
                "subject": _text(LIMITS["subject"]),
                "relation": {"enum": list(RELATIONS)},
                "relation_detail": _text(REFERRAL_LIMITS["relation_detail"]),
                "behaviors": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"enum": list(BEHAVIORS)},
                },
                "actions_taken": _text(REFERRAL_LIMITS["actions_taken"]),
                "urgency": {"enum": list(URGENCY)},
                "location_type": {"enum": list(LOCATION_TYPES)},
                "location": _text(LIMITS["location"]),
                "when": _text(LIMITS["when"]),
                "danger_now": {"enum": list(YES_NO_UNSURE)},
                "weapons_access": {"enum": list(YES_NO_UNSURE)},
            },
        },
        "attachments": ATTACHMENTS_SCHEMA,
        "reply_to": REPLY_TO_SCHEMA,
    },
}

_VALIDATOR = Draft202012Validator(SCHEMA)


def validate(document: object) -> dict[str, Any]:
    return check(_VALIDATOR, SCHEMA_ID, document)


def encode(document: dict[str, Any]) -> bytes:
    return dump_json(validate(document))


def decode(data: bytes) -> dict[str, Any]:
    return validate(parse_json(data))
