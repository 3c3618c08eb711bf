"""Referral documents, report version 2 and the published directory."""

from __future__ import annotations

import uuid

import pytest

from tipline import directory, referral_schema, report_schema
from tipline.report_schema import ReportInvalid


def referral(**changes: object) -> dict:
    doc = {
        "schema": referral_schema.SCHEMA_ID,
        "kind": "referral",
        "envelope_id": str(uuid.uuid4()),
        "submitted_at": "2026-11-23T08:00:00+00:00",
        "channel": "web",
        "referral_token": None,
        "filer": {"name": "Ana Ruiz", "role": "Counselor", "email": "ana@school.example"},
        "referral": {
            "what_happened": "Student wrote a list of names with 'the day' circled.",
            "category": "threat_of_violence",
            "relation": "counselor",
            "behaviors": ["leakage", "planning"],
            "urgency": "today",
        },
    }
    return doc | changes


def test_referral_round_trip() -> None:
    doc = referral()
    assert referral_schema.decode(referral_schema.encode(doc)) == doc


def test_identified_filer_must_be_reachable() -> None:
    with pytest.raises(ReportInvalid, match="filer"):
        referral_schema.encode(referral(filer={"name": "Ana", "role": "Counselor"}))


def test_unknown_behavior_is_refused() -> None:
    bad = referral()
    bad["referral"] = bad["referral"] | {"behaviors": ["astrology"]}
    with pytest.raises(ReportInvalid, match="behaviors"):
        referral_schema.encode(bad)


def report(schema: str, **changes: object) -> dict:
    return {
        "schema": schema,
        "kind": "report",
        "envelope_id": str(uuid.uuid4()),
        "submitted_at": "2026-11-23T08:00:00+00:00",
        "channel": "web",
        "report": {
            "what_happened": "x",
            "category": "other",
            "danger_now": "no",
            "weapons_access": "no",
        },
        "contact": None,
    } | changes


def test_report_versions() -> None:
    org = {"organization": {"id": "lincoln-high"}}
    assert report_schema.decode(report_schema.encode(report(report_schema.SCHEMA_ID, **org)))
    assert report_schema.decode(report_schema.encode(report(report_schema.SCHEMA_ID_V1)))
    with pytest.raises(ReportInvalid):  # version 1 had no organization
        report_schema.encode(report(report_schema.SCHEMA_ID_V1, **org))
    with pytest.raises(ReportInvalid):
        report_schema.encode(report(report_schema.SCHEMA_ID, organization={"id": "Bad Id!"}))


def test_directory_round_trip_and_token_hashes() -> None:
    token = directory.new_referral_token()
    assert len(token) >= 32
    doc = {
        "schema": directory.SCHEMA_ID,
        "version": 3,
        "organizations": [
            {"id": "county-schools", "name": "County Schools", "kind": "district"},
            {
                "id": "lincoln-high",
                "name": "Lincoln High School",
                "kind": "school",
                "parent": "county-schools",
                "token_hashes": [directory.token_hash(token)],
            },
        ],
    }
    assert directory.decode(directory.encode(doc)) == doc
    assert token not in directory.encode(doc)
    with pytest.raises(ReportInvalid):
        directory.decode('{"schema": "tipline.directory/1", "version": -1, "organizations": []}')
