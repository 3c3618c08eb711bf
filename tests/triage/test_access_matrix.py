"""The access matrix: every route of the officers' app, for every kind of visitor.

Routes come from the app's own URL map, so a new route cannot be forgotten: the test fails
until the route is in ``MATRIX`` with its expected answer for each persona. Every refusal of a
logged-in officer (404 for another unit's things, 403 for a screen their role does not allow)
must leave exactly one ``access-denied`` audit event; nothing else may leave one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.triage.alerts_helpers import alerts_world
from tests.triage.conftest import reply_to_for, sealed_file
from tests.triage.helpers import PASSWORD, csrf_from, ingest_envelope, item_id_of, login
from tipline.db import transaction
from triage import directory_admin as admin
from triage import files
from triage.models import AuditEvent, Officer, QueueItem
from triage.officers import add_officer

# Personas: the item's unit is "a".
OFFICER = "officer"  # officer of unit a
OTHER = "other"  # officer of unit b
SUPERVISOR = "supervisor"  # supervisor of unit a
ADMIN = "admin"  # admin of unit a
OTHER_ADMIN = "other-admin"  # admin of unit b: configures, but reads only unit b's items
ANONYMOUS = "anonymous"
PERSONAS = (OFFICER, OTHER, SUPERVISOR, ADMIN, OTHER_ADMIN, ANONYMOUS)
ACCOUNTS = {
    OFFICER: ("officer", "a"),
    OTHER: ("officer", "b"),
    SUPERVISOR: ("supervisor", "a"),
    ADMIN: ("admin", "a"),
    OTHER_ADMIN: ("admin", "b"),
}
LOGIN = 302  # logged out: sent to the login page


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)


def officers(status: int) -> dict[str, int]:
    return everyone(status) | {ANONYMOUS: LOGIN}


def unit_a(status: int) -> dict[str, int]:
    """The item's unit only; another unit gets 404 (admins included)."""
    return officers(status) | {OTHER: 404, OTHER_ADMIN: 404}


def movers(status: int) -> dict[str, int]:
    return unit_a(status) | {OFFICER: 403}


def admins(status: int) -> dict[str, int]:
    return officers(403) | {ADMIN: status, OTHER_ADMIN: status}


@dataclass(frozen=True)
class Case:
    url: str
    expect: dict[str, int]
    data: dict[str, str] = field(default_factory=dict)


# (rule, method) -> what to request and what each persona gets. Placeholders come from the
# ``world`` fixture. Requests run in this order; state-changing ones use their own targets.
MATRIX: dict[tuple[str, str], Case] = {
    ("/", "GET"): Case("/", everyone(302)),
    ("/healthz", "GET"): Case("/healthz", everyone(200)),
    ("/login", "GET"): Case("/login", everyone(200)),
    ("/login", "POST"): Case("/login", everyone(200), {"username": "x", "password": "wrong"}),
    ("/queue", "GET"): Case("/queue", officers(200)),
    ("/stats", "GET"): Case("/stats", officers(200)),
    ("/dashboard", "GET"): Case("/dashboard", officers(200) | {OFFICER: 403, OTHER: 403}),
    ("/dashboard.csv", "GET"): Case("/dashboard.csv", officers(200) | {OFFICER: 403, OTHER: 403}),
    ("/dead-letters", "GET"): Case("/dead-letters", officers(200)),
    # The audit log: supervisors and admins, their own unit's events.
    ("/audit", "GET"): Case("/audit", officers(200) | {OFFICER: 403, OTHER: 403}),
    ("/audit/verify", "POST"): Case("/audit/verify", officers(200) | {OFFICER: 403, OTHER: 403}),
    ("/items/<int:item_id>", "GET"): Case("/items/{item}", unit_a(200)),
    ("/items/<int:item_id>/attachments/<attachment_id>", "GET"): Case(
        "/items/{item}/attachments/{attachment}", unit_a(200)
    ),
    ("/items/<int:item_id>/messages", "POST"): Case(
        "/items/{item}/messages", unit_a(303), {"text": "Which school is it?"}
    ),
    ("/items/<int:item_id>/move", "POST"): Case(
        "/items/{movable}/move", movers(303), {"unit": "b", "reason": "Their area."}
    ),
    # --- alerts: acknowledging a life-safety page (``alerts_world``) ---
    ("/ack/<token>", "GET"): Case("/ack/{ack_token}", unit_a(200)),
    ("/ack/<token>", "POST"): Case("/ack/{ack_token}", unit_a(303)),
    ("/items/<int:item_id>/acknowledge", "POST"): Case("/items/{item}/acknowledge", unit_a(303)),
    ("/admin/units/<slug>/contacts/<int:contact_id>/purpose", "POST"): Case(
        "/admin/units/a/contacts/{contact}/purpose", admins(303), {"purpose": "supervisor"}
    ),
    ("/admin", "GET"): Case("/admin", admins(302)),
    ("/admin/organizations", "GET"): Case("/admin/organizations", admins(200)),
    ("/admin/organizations", "POST"): Case(
        "/admin/organizations",
        admins(303),
        {"slug": "new-school", "name": "New School", "kind": "school", "parent": ""},
    ),
    ("/admin/organizations/<slug>", "GET"): Case("/admin/organizations/acme", admins(200)),
    ("/admin/organizations/<slug>", "POST"): Case(
        "/admin/organizations/acme",
        admins(303),
        {"name": "Acme Corporation", "kind": "employer", "parent": "", "active": "y"},
    ),
    ("/admin/organizations/<slug>/links", "POST"): Case(
        "/admin/organizations/acme/links", admins(200)
    ),
    ("/admin/organizations/<slug>/links/<int:link_id>/revoke", "POST"): Case(
        "/admin/organizations/acme/links/{link}/revoke", admins(303)
    ),
    ("/admin/organizations/<slug>/links/revoke", "POST"): Case(
        "/admin/organizations/acme/links/revoke", admins(303)
    ),
    ("/admin/units", "GET"): Case("/admin/units", admins(200)),
    ("/admin/units", "POST"): Case("/admin/units", admins(303), {"slug": "c", "name": "C"}),
    ("/admin/units/<slug>", "GET"): Case("/admin/units/a", admins(200)),
    ("/admin/units/<slug>/contacts", "POST"): Case(
        "/admin/units/a/contacts",
        admins(303),
        {"name": "Inbox", "channel": "email", "address": "a@unit.example"},
    ),
    ("/admin/units/<slug>/contacts/<int:contact_id>/move", "POST"): Case(
        "/admin/units/a/contacts/{contact}/move", admins(303), {"direction": "down"}
    ),
    ("/admin/units/<slug>/contacts/<int:contact_id>/remove", "POST"): Case(
        "/admin/units/a/contacts/{contact2}/remove", admins(303)
    ),
    ("/admin/units/<slug>/default", "POST"): Case("/admin/units/b/default", admins(303)),
    ("/admin/officers", "GET"): Case("/admin/officers", admins(200)),
    ("/admin/officers/<username>/unit", "POST"): Case(
        "/admin/officers/spare/unit", admins(303), {"unit": "b"}
    ),
    ("/admin/routes", "GET"): Case("/admin/routes", admins(200)),
    ("/admin/routes", "POST"): Case(
        "/admin/routes",
        admins(303),
        {"kind": "place", "match": "workplace", "unit": "b", "position": ""},
    ),
    ("/admin/routes/<int:rule_id>/move", "POST"): Case(
        "/admin/routes/{rule}/move", admins(303), {"direction": "down"}
    ),
    ("/admin/routes/<int:rule_id>/toggle", "POST"): Case(
        "/admin/routes/{rule2}/toggle", admins(303)
    ),
    ("/admin/routes/<int:rule_id>/delete", "POST"): Case(
        "/admin/routes/{rule2}/delete", admins(303)
    ),
    # Related reports and search (world items from ``related_world``).
    ("/items/<int:item_id>/related", "GET"): Case("/items/{rel1}/related?other=1", unit_a(302)),
    ("/items/<int:item_id>/related/<int:other_id>", "GET"): Case(
        "/items/{rel1}/related/{rel2}", unit_a(200)
    ),
    ("/items/<int:item_id>/related/<int:other_id>/link", "POST"): Case(
        "/items/{rel1}/related/{rel2}/link", unit_a(303)
    ),
    ("/items/<int:item_id>/related/<int:other_id>/unlink", "POST"): Case(
        "/items/{rel1}/related/{rel2}/unlink", unit_a(303)
    ),
    ("/search", "GET"): Case("/search", officers(200)),
    ("/search", "POST"): Case("/search", officers(200), {"q": "break room"}),
    # --- the workflow (claims, dispositions, tier, case packet): items of ``workflow_world``.
    # Claim next takes the unit's only P1 item ({wf_decide}); it is then decided, its packet
    # read, closed and reopened; {wf_hold} is claimed, renewed, released, assigned, re-tiered.
    ("/queue/claim-next", "POST"): Case("/queue/claim-next", officers(303)),
    ("/items/<int:item_id>/claim", "POST"): Case("/items/{wf_hold}/claim", unit_a(303)),
    ("/items/<int:item_id>/renew", "POST"): Case("/items/{wf_hold}/renew", unit_a(303)),
    ("/items/<int:item_id>/release", "POST"): Case("/items/{wf_hold}/release", unit_a(303)),
    ("/items/<int:item_id>/assign", "POST"): Case(
        "/items/{wf_hold}/assign", movers(303), {"assignee": "officer"}
    ),
    ("/items/<int:item_id>/tier", "POST"): Case(
        "/items/{wf_hold}/tier", movers(303), {"new_tier": "P2", "tier_reason": "new_information"}
    ),
    ("/items/<int:item_id>/dispositions/<kind>", "POST"): Case(
        "/items/{wf_decide}/dispositions/open_case",
        unit_a(303),
        {"open_case-note": "Opening a case: the threat names a date."},
    ),
    ("/items/<int:item_id>/case-packet", "GET"): Case(
        "/items/{wf_decide}/case-packet", unit_a(200)
    ),
    ("/items/<int:item_id>/case-packet.json", "GET"): Case(
        "/items/{wf_decide}/case-packet.json", unit_a(200)
    ),
    ("/items/<int:item_id>/close", "POST"): Case("/items/{wf_decide}/close", unit_a(303)),
    ("/items/<int:item_id>/reopen", "POST"): Case(
        "/items/{wf_decide}/reopen", unit_a(303), {"reopen_reason": "new_information"}
    ),
    ("/logout", "POST"): Case("/logout", everyone(302)),  # last: it ends the session
}


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_matrix(app) -> None:
    routes = app_routes(app)
    assert routes - set(MATRIX) == set(), "add these routes to MATRIX"
    assert set(MATRIX) - routes == set(), "these routes no longer exist"


@pytest.fixture
def world(sessions, keyring, rules, sealed_report, reporter_key, settings) -> dict[str, object]:
    """Units a and b, an officer of each kind, two items of unit a (one with a file and a
    reporter who can be written to), an organization with a link, contacts and rules."""
    with transaction(sessions) as session:
        admin.add_unit(session, "a", "Unit A")
        admin.add_unit(session, "b", "Unit B")
        for persona, (role, unit) in ACCOUNTS.items():
            add_officer(session, persona, PASSWORD, role, memory_kib=64)
            admin.move_officer(session, persona, unit)
        add_officer(session, "spare", PASSWORD, "officer", memory_kib=64)
        admin.add_organization(session, "acme", "Acme Corp", "employer")
        admin.issue_referral_token(session, "acme")
        link = admin.referral_links(session, "acme")[0].id
        contact = admin.add_unit_contact(session, "a", "Duty", "phone", "+1 555 0100").id
        contact2 = admin.add_unit_contact(session, "a", "Lead", "phone", "+1 555 0101").id
        rule = admin.add_route(session, "category", "bullying", "a").id
        rule2 = admin.add_route(session, "organization", "acme", "b").id
    descriptor, sealed = sealed_file(b"a photo, or so")
    with transaction(sessions) as session:
        files.store(session, descriptor["id"], sealed, datetime.now(UTC), 10**8)
    ids = []
    for _ in range(2):
        envelope_id, envelope, _ = sealed_report(
            category="bullying", reply_to=reply_to_for(reporter_key), attachments=[descriptor]
        )
        ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
        ids.append(item_id_of(sessions, envelope_id))
    return (
        related_world(sessions, keyring, rules, sealed_report)
        | workflow_world(sessions, sealed_report, keyring, rules)
        | {
            "item": ids[0],
            "movable": ids[1],
            "attachment": descriptor["id"],
            "link": link,
            "contact": contact,
            "contact2": contact2,
            "rule": rule,
            "rule2": rule2,
        }
        | alerts_world(sessions, settings, ids[0])
    )


def related_world(sessions, keyring, rules, sealed_report) -> dict[str, int]:
    """Two more items of unit a for the related-reports routes (never moved)."""
    ids = []
    for _ in range(2):
        envelope_id, envelope, _ = sealed_report(category="bullying")
        ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
        ids.append(item_id_of(sessions, envelope_id))
    return {"rel1": ids[0], "rel2": ids[1]}


def workflow_world(sessions, sealed_report, keyring, rules) -> dict[str, int]:
    """Two more items of unit a for the workflow routes: the unit's only P1 ({wf_decide},
    what "claim next" takes) and a P3 ({wf_hold})."""
    ids = {}
    for name, fields in (
        ("wf_decide", {"category": "bullying", "danger_now": "yes"}),
        ("wf_hold", {"category": "bullying"}),
    ):
        envelope_id, envelope, _ = sealed_report(**fields)
        ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
        ids[name] = item_id_of(sessions, envelope_id)
    with sessions() as session:
        tiers = {name: session.get(QueueItem, item_id).tier for name, item_id in ids.items()}
    assert tiers == {"wf_decide": "P1", "wf_hold": "P3"}, tiers
    return ids


def denials(sessions) -> list[tuple[int | None, str]]:
    with sessions() as session:
        return [
            (e.officer_id, e.detail.get("endpoint", ""))
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "access-denied"))
        ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(app, sessions, world, persona: str) -> None:
    client: FlaskClient = app.test_client()
    officer_id = None
    if persona != ANONYMOUS:
        assert login(client, persona).status_code == 302
        token = csrf_from(client.get("/queue").get_data(as_text=True))
        with sessions() as session:
            officer_id = session.scalars(
                select(Officer.id).where(Officer.username == persona)
            ).one()
    else:
        token = csrf_from(client.get("/login").get_data(as_text=True))
    wrong: list[str] = []
    for (rule, method), case in MATRIX.items():
        url = case.url.format(**world)
        before = len(denials(sessions))
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data=case.data | {"csrf_token": token})
        expected = case.expect[persona]
        if response.status_code != expected:
            wrong.append(f"{method} {rule}: {response.status_code}, expected {expected}")
            continue
        added = denials(sessions)[before:]
        if expected in (403, 404) and persona != ANONYMOUS:
            if len(added) != 1 or added[0][0] != officer_id:
                wrong.append(f"{method} {rule}: {expected} without one access-denied event")
        elif added:
            wrong.append(f"{method} {rule}: an access-denied event for an allowed request")
    assert wrong == []


def test_a_denial_names_what_was_asked_for(app, sessions, world) -> None:
    client = app.test_client()
    login(client, OTHER)
    assert client.get(f"/items/{world['item']}").status_code == 404
    assert client.get("/admin/routes").status_code == 403
    assert client.get("/items/99999").status_code == 404
    with sessions() as session:
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "access-denied")
                .order_by(AuditEvent.id)
            )
        )
        assert [(e.item_id, e.detail) for e in events] == [
            (world["item"], {"requested_item": world["item"], "exists": True}),
            (None, {"endpoint": "admin_routes.index", "reason": "role"}),
            (None, {"requested_item": 99999, "exists": False}),
        ]
        assert session.scalar(select(func.count()).select_from(AuditEvent)) >= 3
