"""Routing at intake: each rule kind, ancestors, order (first match wins), inactive rules,
the default unit, and the reasons officers see."""

from __future__ import annotations

import uuid

import pytest

from tests.triage.conftest import referral_document, report_document
from tipline.db import transaction
from triage import directory_admin as admin
from triage.routing import DEFAULT_REASON, route


@pytest.fixture
def directory(sessions):
    """A county unit (default), a schools team, a workplace team; a district with a school."""
    with transaction(sessions) as session:
        admin.add_unit(session, "county", "County BTAU")
        admin.set_default_unit(session, "county")
        admin.add_unit(session, "schools", "County schools team")
        admin.add_unit(session, "work", "Workplace team")
        admin.add_organization(session, "springfield-sd", "Springfield School District", "district")
        admin.add_organization(
            session, "lincoln-high", "Lincoln High School", "school", parent="springfield-sd"
        )
        admin.add_organization(session, "acme", "Acme Corp", "employer")
    return sessions


def report(organization: str | None = None, **fields) -> dict:
    document = report_document(str(uuid.uuid4()), **fields)
    document["schema"] = "tipline.report/2"
    if organization:
        document["organization"] = {"id": organization}
    return document


def routed(sessions, document, verified: str | None = None) -> tuple[str, list[str], str | None]:
    with sessions() as session:
        result = route(session, document, verified)
        return result.unit.slug, [r["text"] for r in result.reasons], result.organization_id


def test_nothing_matches_goes_to_the_default_unit(directory) -> None:
    assert routed(directory, report()) == ("county", [DEFAULT_REASON], None)


def test_a_default_unit_exists_even_in_an_empty_directory(sessions) -> None:
    unit, reasons, _ = routed(sessions, report())
    assert unit == "default"
    assert reasons == ["No routing rule matched; default unit"]


def test_organization_rule_matches_the_organization_and_its_descendants(directory) -> None:
    with transaction(directory) as session:
        admin.add_route(session, "organization", "springfield-sd", "schools")
    assert routed(directory, report("springfield-sd"))[:2] == (
        "schools",
        ["Organization Springfield School District → County schools team (rule 1)"],
    )
    # A school of the district matches through its parent, and the reason says so.
    assert routed(directory, report("lincoln-high")) == (
        "schools",
        [
            "Organization Lincoln High School, in Springfield School District"
            " → County schools team (rule 1)"
        ],
        "lincoln-high",
    )
    assert routed(directory, report("acme"))[0] == "county"
    # An organization the directory does not (yet) hold matches only a rule naming it.
    assert routed(directory, report("unknown-school"))[0] == "county"


def test_place_rule_by_location_type_or_words(directory) -> None:
    with transaction(directory) as session:
        admin.add_route(session, "place", "workplace", "work")
        admin.add_route(session, "place", "Springfield, Shelbyville", "schools")
    assert routed(directory, report(location_type="workplace"))[:2] == (
        "work",
        ["Place: A workplace → Workplace team (rule 1)"],
    )
    assert routed(directory, report(location="the mall in shelbyville"))[:2] == (
        "schools",
        ["Place mentions “Shelbyville” → County schools team (rule 2)"],
    )
    # Whole words only.
    assert routed(directory, report(location="Springfieldia"))[0] == "county"


def test_category_rule(directory) -> None:
    with transaction(directory) as session:
        admin.add_route(session, "category", "bullying", "schools")
    assert routed(directory, report(category="bullying"))[:2] == (
        "schools",
        ["Category Bullying or harassment → County schools team (rule 1)"],
    )
    assert routed(directory, report(category="weapons"))[0] == "county"


def test_rules_are_tried_in_order_and_the_first_match_wins(directory) -> None:
    with transaction(directory) as session:
        first = admin.add_route(session, "category", "bullying", "work")
        admin.add_route(session, "organization", "lincoln-high", "schools")
    document = report("lincoln-high", category="bullying")
    assert routed(directory, document)[0] == "work"
    with transaction(directory) as session:
        admin.move_route(session, first.id, "down")
    unit, reasons, _ = routed(directory, document)
    assert unit == "schools"
    assert reasons == ["Organization Lincoln High School → County schools team (rule 1)"]
    # A rule inserted at position 1 is tried before the others.
    with transaction(directory) as session:
        admin.add_route(session, "place", "school", "county", position=1)
    assert routed(directory, report("lincoln-high", location_type="school"))[0] == "county"


def test_inactive_rules_are_skipped(directory) -> None:
    with transaction(directory) as session:
        rule = admin.add_route(session, "organization", "acme", "work")
        admin.add_route(session, "category", "other", "schools")
        admin.set_route_active(session, rule.id, False)
    assert routed(directory, report("acme"))[0] == "schools"
    with transaction(directory) as session:
        admin.delete_route(session, rule.id)
        assert [r.position for r in admin.list_routes(session)] == [1]


def test_referral_routes_by_verified_organization_else_the_filers(directory) -> None:
    with transaction(directory) as session:
        admin.add_route(session, "organization", "springfield-sd", "schools")
        admin.add_route(session, "organization", "acme", "work")
    filer = {"name": "Ana", "role": "HR", "email": "ana@acme.example", "organization_id": "acme"}
    document = referral_document(str(uuid.uuid4()), filer=filer)
    # Verified through a Lincoln High link: the link's organization wins over what was typed.
    assert routed(directory, document, verified="lincoln-high")[0::2] == (
        "schools",
        "lincoln-high",
    )
    # Unverified: the filer's organization, and the reason says it is unverified.
    unit, reasons, organization = routed(directory, document)
    assert (unit, organization) == ("work", "acme")
    assert reasons == [
        "Organization Acme Corp (named by the filer, unverified) → Workplace team (rule 2)"
    ]


def test_referral_fields_feed_place_and_category_rules(directory) -> None:
    with transaction(directory) as session:
        admin.add_route(session, "place", "school", "schools")
    document = referral_document(str(uuid.uuid4()), location_type="school")
    assert routed(directory, document)[0] == "schools"


def test_a_parent_loop_cannot_be_made(directory) -> None:
    with transaction(directory) as session, pytest.raises(admin.DirectoryError, match="lies under"):
        admin.update_organization(session, "springfield-sd", parent="lincoln-high")
