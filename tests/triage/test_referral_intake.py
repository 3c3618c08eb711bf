"""Referrals at intake: the link token decides verified or not, the organization and the unit;
a referral is never refused for its token. Officers see which is which."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.triage.helpers import PASSWORD, ingest_envelope, login
from tipline.db import transaction
from triage import directory_admin as admin
from triage.models import AuditEvent, QueueItem, Unit
from triage.officers import add_officer

ACME_FILER = {"name": "Ana", "role": "HR", "email": "ana@acme.example", "organization_id": "acme"}


@pytest.fixture
def lincoln_token(sessions) -> str:
    """Lincoln High (in Springfield SD, routed to the schools team) with a live link; Acme
    (routed to the workplace team) with none. Returns Lincoln's raw token."""
    with transaction(sessions) as session:
        admin.add_unit(session, "schools", "County schools team")
        admin.add_unit(session, "work", "Workplace team")
        admin.add_organization(session, "springfield-sd", "Springfield School District", "district")
        admin.add_organization(
            session, "lincoln-high", "Lincoln High School", "school", "springfield-sd"
        )
        admin.add_organization(session, "acme", "Acme Corp", "employer")
        admin.add_route(session, "organization", "springfield-sd", "schools")
        admin.add_route(session, "organization", "acme", "work")
        return admin.issue_referral_token(session, "lincoln-high")


def ingested_item(sessions, keyring, rules, sealed_referral, **kwargs) -> QueueItem:
    envelope_id, envelope, _ = sealed_referral(**kwargs)
    assert ingest_envelope(sessions, keyring, rules, envelope_id, envelope) == "stored"
    with sessions() as session:
        item = session.scalars(select(QueueItem).where(QueueItem.envelope_id == envelope_id)).one()
        session.expunge(item)
        return item


def unit_slug(sessions, item: QueueItem) -> str:
    with sessions() as session:
        return session.get(Unit, item.unit_id).slug


def test_valid_token_is_verified_and_attributed_to_its_organization(
    sessions, keyring, rules, sealed_referral, lincoln_token
) -> None:
    # The filer typed another organization: the link's organization wins.
    item = ingested_item(
        sessions, keyring, rules, sealed_referral, token=lincoln_token, filer=ACME_FILER
    )
    assert (item.kind, item.verified, item.organization_id) == ("referral", True, "lincoln-high")
    assert unit_slug(sessions, item) == "schools"
    assert item.route_reasons[0]["text"] == (
        "Organization Lincoln High School, in Springfield School District"
        " → County schools team (rule 1)"
    )
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ingested")).one()
        assert event.detail == {
            "tier": item.tier,
            "unit": "schools",
            "kind": "referral",
            "verified": True,
        }


@pytest.mark.parametrize("token", ["revoked", "not-a-real-token-at-all", None, ""])
def test_revoked_invalid_or_missing_token_is_taken_unverified(
    sessions, keyring, rules, sealed_referral, lincoln_token, token
) -> None:
    if token == "revoked":
        with transaction(sessions) as session:
            assert admin.revoke_referral_tokens(session, "lincoln-high") == 1
        token = lincoln_token
    item = ingested_item(sessions, keyring, rules, sealed_referral, token=token, filer=ACME_FILER)
    assert (item.kind, item.verified) == ("referral", False)
    # Routed by what the filer said, and the reason says it is unverified.
    assert item.organization_id == "acme"
    assert unit_slug(sessions, item) == "work"
    assert "(named by the filer, unverified)" in item.route_reasons[0]["text"]


def test_unverified_without_an_organization_goes_to_the_default_unit(
    sessions, keyring, rules, sealed_referral, lincoln_token
) -> None:
    item = ingested_item(sessions, keyring, rules, sealed_referral)
    assert (item.verified, item.organization_id) == (False, None)
    assert unit_slug(sessions, item) == "default"
    assert item.route_reasons == [
        {"rule": "default", "text": "No routing rule matched; default unit"}
    ]


def test_a_deactivated_organizations_links_stop_verifying(
    sessions, keyring, rules, sealed_referral, lincoln_token
) -> None:
    with transaction(sessions) as session:
        admin.update_organization(session, "lincoln-high", active=False)
    item = ingested_item(sessions, keyring, rules, sealed_referral, token=lincoln_token)
    assert item.verified is False


def test_checklist_sets_the_tier_at_intake(sessions, keyring, rules, sealed_referral) -> None:
    calm = ingested_item(
        sessions, keyring, rules, sealed_referral, category="other", what_happened="Please look."
    )
    urgent = ingested_item(
        sessions,
        keyring,
        rules,
        sealed_referral,
        category="other",
        what_happened="Please look.",
        behaviors=["planning", "weapons_access"],
    )
    assert (calm.tier, urgent.tier) == ("P4", "P1")
    assert urgent.reasons[0]["rule"] == "planning-with-weapons"


def test_reports_are_kind_report_with_no_verification(
    sessions, keyring, rules, sealed_report
) -> None:
    envelope_id, envelope, _ = sealed_report()
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    with sessions() as session:
        item = session.scalars(select(QueueItem)).one()
        assert (item.kind, item.verified, item.organization_id) == ("report", None, None)


def test_officers_see_verified_and_unverified_referrals_with_the_filer(
    app, sessions, keyring, rules, sealed_referral, lincoln_token
) -> None:
    with transaction(sessions) as session:
        officer = add_officer(session, "sam", PASSWORD, "officer", memory_kib=64)
        admin.move_officer(session, officer.username, "schools")
    verified = ingested_item(
        sessions,
        keyring,
        rules,
        sealed_referral,
        token=lincoln_token,
        behaviors=["leakage", "fixation"],
        actions_taken="Met the student's parents.",
        urgency="today",
    )
    unverified = ingested_item(
        sessions,
        keyring,
        rules,
        sealed_referral,
        token="forged",
        filer={
            "name": "Ana",
            "role": "Counselor",
            "phone": "555 0100",
            "organization_id": "lincoln-high",
        },
    )
    client = app.test_client()
    assert login(client, "sam").status_code == 302

    queue = client.get("/queue").get_data(as_text=True)
    assert queue.count("Referral</span>") == 2
    assert "Verified link" in queue and "Unverified" in queue
    assert "Lincoln High School" in queue
    assert "County schools team (rule 1)" in queue  # why this unit, beside why this tier

    page = client.get(f"/items/{verified.id}").get_data(as_text=True)
    assert "Filed through a live referral link of Lincoln High School" in page
    for text in [
        "Hinted at or posted about an attack (leakage)",
        "Fixation on a person, group or cause",
        "Met the student&#39;s parents.",
        "Needs attention today",
        "ana@school.example",
        "Why this unit",
    ]:
        assert text in page, text
    page = client.get(f"/items/{unverified.id}").get_data(as_text=True)
    assert "Unverified" in page
    assert "not confirmed" in page
    assert "(named by the filer, unverified)" in page
