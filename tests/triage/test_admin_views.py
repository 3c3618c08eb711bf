"""The admin screens and moving items, as an administrator and a supervisor use them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.triage.helpers import PASSWORD, csrf_from, ingest_envelope, item_id_of, login
from tipline import directory
from tipline.db import transaction
from tipline.queue_contract import PORTAL_QUEUE, STORE_DIRECTORY, queue
from triage import directory_admin as admin
from triage.models import AuditEvent, QueueItem, Unit
from triage.officers import add_officer


@pytest.fixture
def as_admin(app, sessions):
    """An admin of unit "a" (there is also a unit "b"), logged in; returns (client, csrf)."""
    with transaction(sessions) as session:
        admin.add_unit(session, "a", "Unit A")
        admin.add_unit(session, "b", "Unit B")
        add_officer(session, "root", PASSWORD, "admin", memory_kib=64)
        admin.move_officer(session, "root", "a")
    client = app.test_client()
    assert login(client, "root").status_code == 302
    return client, csrf_from(client.get("/queue").get_data(as_text=True))


def post(client, csrf, url, **data):
    return client.post(url, data=data | {"csrf_token": csrf})


def published(redis_conn) -> list[dict]:
    return [
        directory.decode(job.args[0])
        for job in queue(PORTAL_QUEUE, redis_conn).get_jobs()
        if job.func_name == STORE_DIRECTORY
    ]


def test_organizations_and_a_referral_link_shown_once(as_admin, sessions, redis_conn) -> None:
    client, csrf = as_admin
    response = post(
        client,
        csrf,
        "/admin/organizations",
        slug="sd",
        name="School District",
        kind="district",
        parent="",
    )
    assert response.status_code == 303
    response = post(
        client,
        csrf,
        "/admin/organizations",
        slug="lincoln",
        name="Lincoln High",
        kind="school",
        parent="sd",
    )
    assert response.status_code == 303
    page = client.get("/admin/organizations").get_data(as_text=True)
    assert "Added Lincoln High." in page
    assert "School District" in page and "Lincoln High" in page

    # A bad entry is refused with the reason, keeping the form.
    response = post(
        client,
        csrf,
        "/admin/organizations",
        slug="lincoln",
        name="Again",
        kind="school",
        parent="",
    )
    assert response.status_code == 400
    assert "an organization &#39;lincoln&#39; already exists" in response.get_data(as_text=True)

    page = post(client, csrf, "/admin/organizations/lincoln/links").get_data(as_text=True)
    (link,) = re.findall(r"<strong>(http://127\.0\.0\.1:5000/refer/[A-Za-z0-9_-]+)</strong>", page)
    token = link.rsplit("/", 1)[1]
    # Shown once: the organization's page lists the link by number only.
    again = client.get("/admin/organizations/lincoln").get_data(as_text=True)
    assert token not in again and "Live" in again
    # Every change was published, the newest with the link's hash and never the token.
    documents = published(redis_conn)
    assert len(documents) == 3
    newest = max(documents, key=lambda d: d["version"])
    lincoln = next(o for o in newest["organizations"] if o["id"] == "lincoln")
    assert lincoln == {
        "id": "lincoln",
        "name": "Lincoln High",
        "kind": "school",
        "parent": "sd",
        "token_hashes": [directory.token_hash(token)],
    }

    response = post(client, csrf, "/admin/organizations/lincoln/links/revoke")
    assert response.status_code == 303
    assert "Revoked 1 link" in client.get("/admin/organizations/lincoln").get_data(as_text=True)
    response = post(
        client,
        csrf,
        "/admin/organizations/lincoln",
        name="Lincoln High School",
        kind="school",
        parent="",
    )  # "active" unticked
    assert response.status_code == 303
    with sessions() as session:
        org = admin.get_organization(session, "lincoln")
        assert (org.name, org.parent_id, org.active) == ("Lincoln High School", None, False)
        changes = [
            e.detail["change"]
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "directory-changed")
            )
        ]
    assert changes == [
        "organization-added",
        "organization-added",
        "referral-link-created",
        "referral-links-revoked",
        "organization-changed",
    ]
    newest = max(published(redis_conn), key=lambda d: d["version"])
    assert [o["id"] for o in newest["organizations"]] == ["sd"]  # inactive: not listed


def test_units_contacts_and_officers(as_admin, sessions) -> None:
    client, csrf = as_admin
    assert post(client, csrf, "/admin/units", slug="c", name="Unit C").status_code == 303
    for name, channel, address in [
        ("Duty", "phone", "+1 555 0100"),
        ("Lead", "phone", "+1 555 0101"),
        ("Hook", "webhook", "https://hooks.example/c"),
    ]:
        response = post(
            client, csrf, "/admin/units/c/contacts", name=name, channel=channel, address=address
        )
        assert response.status_code == 303
    response = post(
        client, csrf, "/admin/units/c/contacts", name="Bad", channel="email", address="nope"
    )
    assert response.status_code == 400
    assert "is not an email address" in response.get_data(as_text=True)
    with sessions() as session:
        ids = [c.id for c in admin.get_unit(session, "c").contacts]
    assert (
        post(client, csrf, f"/admin/units/c/contacts/{ids[2]}/move", direction="up").status_code
        == 303
    )
    assert post(client, csrf, f"/admin/units/c/contacts/{ids[0]}/remove").status_code == 303
    assert post(client, csrf, "/admin/units/c/default").status_code == 303
    with transaction(sessions) as session:
        add_officer(session, "sam", PASSWORD, "officer", memory_kib=64)
    assert post(client, csrf, "/admin/officers/sam/unit", unit="c").status_code == 303
    page = client.get("/admin/units/c").get_data(as_text=True)
    assert page.index("Hook") < page.index("Lead")
    assert "Duty" not in page and "sam (officer)" in page and "Default unit" in page
    with sessions() as session:
        unit = admin.get_unit(session, "c")
        assert [c.name for c in unit.contacts] == ["Hook", "Lead"]
        assert unit.is_default
        assert session.scalars(select(Unit.slug).where(Unit.is_default.is_(True))).all() == ["c"]


def test_routing_rules_screen(as_admin, sessions) -> None:
    client, csrf = as_admin
    for kind, match, unit in [("category", "bullying", "a"), ("place", "school", "b")]:
        response = post(
            client, csrf, "/admin/routes", kind=kind, match=match, unit=unit, position=""
        )
        assert response.status_code == 303
    response = post(client, csrf, "/admin/routes", kind="organization", match="nope", unit="a")
    assert response.status_code == 400
    assert "no organization &#39;nope&#39;" in response.get_data(as_text=True)
    with sessions() as session:
        first, second = (r.id for r in admin.list_routes(session))
    assert post(client, csrf, f"/admin/routes/{second}/move", direction="up").status_code == 303
    assert post(client, csrf, f"/admin/routes/{first}/toggle").status_code == 303
    page = client.get("/admin/routes").get_data(as_text=True)
    assert page.index("Place is a school") < page.index("Category is Bullying")
    assert "Inactive (skipped)" in page
    assert post(client, csrf, f"/admin/routes/{second}/delete").status_code == 303
    with sessions() as session:
        assert [(r.id, r.position, r.active) for r in admin.list_routes(session)] == [
            (first, 1, False)
        ]


def test_a_supervisor_moves_an_item_and_the_old_unit_loses_it(
    app, sessions, keyring, rules, sealed_report
) -> None:
    with transaction(sessions) as session:
        admin.add_unit(session, "a", "Unit A")
        admin.add_unit(session, "b", "Unit B")
        admin.add_route(session, "category", "bullying", "a")
        for name, role, unit in [
            ("sup", "supervisor", "a"),
            ("amy", "officer", "a"),
            ("ben", "officer", "b"),
        ]:
            add_officer(session, name, PASSWORD, role, memory_kib=64)
            admin.move_officer(session, name, unit)
    envelope_id, envelope, _ = sealed_report(category="bullying")
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    item_id = item_id_of(sessions, envelope_id)
    supervisor, amy, ben = (app.test_client() for _ in range(3))
    for client, name in [(supervisor, "sup"), (amy, "amy"), (ben, "ben")]:
        assert login(client, name).status_code == 302
    assert amy.get(f"/items/{item_id}").status_code == 200
    assert ben.get(f"/items/{item_id}").status_code == 404

    page = supervisor.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Move to another unit" in page
    csrf = csrf_from(page)
    # A reason is required.
    response = supervisor.post(
        f"/items/{item_id}/move", data={"unit": "b", "reason": " ", "csrf_token": csrf}
    )
    assert response.status_code == 400
    response = supervisor.post(
        f"/items/{item_id}/move",
        data={"unit": "b", "reason": "The school is in B's area.", "csrf_token": csrf},
    )
    assert response.status_code == 303
    assert "moved to Unit B" in supervisor.get("/queue").get_data(as_text=True)

    # The old unit (supervisor included) loses access; the new unit sees why it has it.
    assert amy.get(f"/items/{item_id}").status_code == 404
    assert supervisor.get(f"/items/{item_id}").status_code == 404
    page = ben.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Moved from Unit A to Unit B by sup: The school is in B&#39;s area." in page
    assert "Category Bullying or harassment → Unit A (rule 1)" in page
    assert "Move to another unit" not in page  # ben is an officer
    with sessions() as session:
        item = session.get(QueueItem, item_id)
        assert item.unit_id == admin.get_unit(session, "b").id
        (moved,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "moved"))
        assert moved.item_id == item_id
        assert moved.detail == {"from": "a", "to": "b", "reason": "The school is in B's area."}


def test_admins_still_see_only_their_own_units_items(app, sessions, add_item) -> None:
    with transaction(sessions) as session:
        admin.add_unit(session, "b", "Unit B")
        add_officer(session, "root", PASSWORD, "admin", memory_kib=64)
    ours, theirs = add_item(), add_item(unit_slug="b")
    client = app.test_client()
    login(client, "root")
    queue_page = client.get("/queue").get_data(as_text=True)
    assert f"/items/{ours}" in queue_page and f"/items/{theirs}" not in queue_page
    assert client.get(f"/items/{theirs}").status_code == 404
