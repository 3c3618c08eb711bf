"""Referrals from a school over HTTP: the organization's link, a wrong link, no link.

The directory (units, organizations, routing rules, referral links) is set up in triage,
published to the portal through the real queue, and the referral travels through both apps and
both workers. Each ends in the right unit's queue, marked verified or unverified, and an
officer of another unit cannot open it.
"""

from __future__ import annotations

import re

import pytest
from redis import Redis

from tests.e2e.harness import System, all_rows, csrf_token, receipt_code
from tipline.db import make_engine, transaction
from triage import directory_admin as admin
from triage.audit import triage_sessions
from triage.officers import add_officer
from triage.publishing import publish_directory

REFERRAL = {
    "filer_name": "Ana Ruiz",
    "filer_role": "School counselor",
    "filer_email": "ana.ruiz@lincoln.example",
    "filer_phone": "",
    "relation": "counselor",
    "relation_detail": "",
    "subject": "A 10th-grade student",
    "what_happened": "He showed classmates a list of names and said Friday is the day.",
    "category": "threat_of_violence",
    "behaviors": ["leakage", "planning"],
    "actions_taken": "Parents called; student kept home today.",
    "urgency": "today",
    "location_type": "school",
    "location": "",
    "when": "",
    "danger_now": "no",
    "weapons_access": "unsure",
}


def triage_session(system: System):
    engine = make_engine(system.settings.triage_database_url or "")
    return engine, triage_sessions(engine, system.settings)


@pytest.fixture
def school_link(system: System) -> str:
    """A schools team routed by organization, Lincoln High with a live referral link."""
    engine, sessions = triage_session(system)
    with transaction(sessions) as session:
        admin.add_unit(session, "schools-team", "County schools team")
        admin.add_organization(session, "lincoln-high", "Lincoln High School", "school")
        admin.add_route(session, "organization", "lincoln-high", "schools-team")
        token = admin.issue_referral_token(session, "lincoln-high")
        for username, unit in (("schools-officer", "schools-team"), ("county-officer", None)):
            add_officer(
                session,
                username,
                system.officer_password,
                "officer",
                memory_kib=system.settings.password_argon2_memory_kib,
            )
            if unit:
                admin.move_officer(session, username, unit)
    with transaction(sessions) as session:
        publish_directory(session, Redis.from_url(system.settings.redis_url or ""))
    engine.dispose()
    system.run_portal_worker()  # the portal stores the published directory
    return token


def refer(system: System, path: str, **changes: object) -> str:
    import requests

    client = requests.Session()
    page = client.get(system.portal_url + path, timeout=30)
    assert page.status_code == 200
    data = REFERRAL | changes | {"csrf_token": csrf_token(page.text)}
    sent = client.post(system.portal_url + path, data=data, timeout=30)
    assert sent.status_code == 200, sent.text[:400]
    receipt_code(sent.text)
    return page.text


def items(system: System) -> list[dict]:
    return [r for t, r in all_rows(system.settings.triage_database_url or "") if t == "queue_items"]


def unit_slugs(system: System) -> dict[int, str]:
    return {
        r["id"]: r["slug"]
        for t, r in all_rows(system.settings.triage_database_url or "")
        if t == "units"
    }


def test_referral_with_the_schools_link(system: System, school_link: str) -> None:
    form = refer(system, f"/refer/{school_link}")
    assert "Lincoln High School" in form  # the portal knows the link from the directory
    system.run_intake()
    (item,) = items(system)
    assert (item["kind"], item["verified"], item["organization_id"]) == (
        "referral",
        True,
        "lincoln-high",
    )
    assert unit_slugs(system)[item["unit_id"]] == "schools-team"
    assert item["tier"] in ("P1", "P2")  # leakage and planning from the checklist
    assert any("Lincoln High School" in r["text"] for r in item["route_reasons"])

    schools = system.officer_session("schools-officer")
    page = schools.get(f"{system.triage_url}/queue", timeout=30).text
    assert "Verified link" in page
    (link,) = re.findall(r'href="(/items/\d+)"', page)
    assert "said Friday is the day" in schools.get(system.triage_url + link, timeout=30).text
    county = system.officer_session("county-officer")
    assert county.get(system.triage_url + link, timeout=30).status_code == 404
    assert "/items/" not in county.get(f"{system.triage_url}/queue", timeout=30).text


def test_referral_with_a_wrong_link_is_taken_but_unverified(
    system: System, school_link: str
) -> None:
    refer(
        system,
        "/refer/not-a-real-token-" + school_link[:8],
        filer_organization="Lincoln High School",
    )
    system.run_intake()
    (item,) = items(system)
    assert item["kind"] == "referral" and not item["verified"]
    # Routed by the organization the filer named, and shown as their claim.
    assert unit_slugs(system)[item["unit_id"]] == "schools-team"
    page = system.officer_session("schools-officer").get(f"{system.triage_url}/queue", timeout=30)
    assert "Unverified" in page.text


def test_referral_without_a_link_goes_to_the_default_unit(system: System, school_link: str) -> None:
    refer(system, "/refer", filer_organization="Riverside Community Center")
    system.run_intake()
    (item,) = items(system)
    assert item["kind"] == "referral" and not item["verified"]
    assert unit_slugs(system)[item["unit_id"]] == "default"
    assert any("default unit" in r["text"] for r in item["route_reasons"])


def test_revoked_link_no_longer_verifies(system: System, school_link: str) -> None:
    engine, sessions = triage_session(system)
    with transaction(sessions) as session:
        assert admin.revoke_referral_tokens(session, "lincoln-high") == 1
    engine.dispose()
    refer(system, f"/refer/{school_link}")
    system.run_intake()
    (item,) = items(system)
    assert not item["verified"]
