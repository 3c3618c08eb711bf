"""An admin decides which contacts are paged (on call) and which are told about unanswered
pages and breaches (supervisors)."""

from __future__ import annotations

from sqlalchemy import select

from tests.triage.helpers import PASSWORD, csrf_from, login
from tipline.db import transaction
from triage import directory_admin
from triage.models import AuditEvent, Notification, UnitContact, default_unit
from triage.officers import add_officer


def test_admin_adds_a_supervisor_and_switches_a_contact(app, sessions) -> None:
    with transaction(sessions) as session:
        default_unit(session)
        add_officer(session, "root", PASSWORD, "admin", memory_kib=64)
    client = app.test_client()
    login(client, "root")
    page = client.get("/admin/units/default").get_data(as_text=True)
    response = client.post(
        "/admin/units/default/contacts",
        data={
            "name": "Chief",
            "channel": "email",
            "address": "chief@unit.example",
            "purpose": "supervisor",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 303
    client.post(
        "/admin/units/default/contacts",
        data={
            "name": "Duty",
            "channel": "phone",
            "address": "+1 555 0100",
            "purpose": "on_call",
            "csrf_token": csrf_from(page),
        },
    )
    with sessions() as session:
        purposes = dict(session.execute(select(UnitContact.name, UnitContact.purpose)).all())
        duty = session.scalars(select(UnitContact.id).where(UnitContact.name == "Duty")).one()
    assert purposes == {"Chief": "supervisor", "Duty": "on_call"}
    shown = client.get("/admin/units/default").get_data(as_text=True)
    assert "Make on call" in shown and "Make supervisor" in shown

    response = client.post(
        f"/admin/units/default/contacts/{duty}/purpose",
        data={"purpose": "supervisor", "csrf_token": csrf_from(shown)},
    )
    assert response.status_code == 303
    bad = client.post(
        f"/admin/units/default/contacts/{duty}/purpose",
        data={"purpose": "boss", "csrf_token": csrf_from(shown)},
    )
    assert bad.status_code == 303
    assert "choose on call or supervisor" in client.get("/admin/units/default").get_data(
        as_text=True
    )
    with sessions() as session:
        assert session.get(UnitContact, duty).purpose == "supervisor"
        changes = [
            e.detail
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "directory-changed")
            )
        ]
    assert {
        "change": "contact-purpose",
        "unit": "default",
        "contact": duty,
        "purpose": "supervisor",
    } in changes


def test_a_contact_that_was_notified_can_still_be_removed(
    sessions, keyring, rules, sealed_report, settings
) -> None:
    from datetime import UTC, datetime

    from tests.triage.alerts_helpers import add_contacts, ingest_p1
    from triage import scheduler

    add_contacts(sessions, "default", ("Duty", "email", "duty@unit.example"))
    ingest_p1(sessions, keyring, rules, sealed_report, settings)
    scheduler.tick(sessions, settings, datetime.now(UTC))
    with transaction(sessions) as session:
        contact = session.scalars(select(UnitContact)).one()
        directory_admin.remove_unit_contact(session, "default", contact.id)
    with sessions() as session:
        (notification,) = session.scalars(select(Notification)).all()
        assert notification.contact_id is None
        assert notification.address == "duty@unit.example" and notification.status == "sent"
