"""Opening an item: only for the item's unit, decrypted in memory, every view audited."""

from __future__ import annotations

from sqlalchemy import select

from tests.triage.conftest import other_unit
from tests.triage.helpers import PASSWORD, login
from tipline.db import transaction
from triage.intake import ingest
from triage.models import AuditEvent, QueueItem, utcnow
from triage.officers import add_officer


def ingested(sessions, keyring, rules, sealed_report, **report) -> int:
    envelope_id, envelope, _ = sealed_report(**report)
    with transaction(sessions) as session:
        ingest(session, keyring, rules, envelope_id, envelope, utcnow())
    with sessions() as session:
        return session.scalars(
            select(QueueItem.id).where(QueueItem.envelope_id == envelope_id)
        ).one()


def officer_events(sessions) -> list[tuple[str, int | None, int | None, dict]]:
    with sessions() as session:
        return [
            (e.action, e.officer_id, e.item_id, e.detail)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if e.officer_id is not None and e.action not in ("login", "logout")
        ]


def test_item_shows_every_field_with_labels_and_is_audited(
    logged_in, sessions, keyring, rules, sealed_report
) -> None:
    envelope_id, envelope, _ = sealed_report(
        what_happened="He said he would bring a gun to school on Friday.",
        category="threat_of_violence",
        subject="A student in 10th grade",
        location_type="school",
        location="Lincoln High School",
        when="Friday morning",
        danger_now="unsure",
        weapons_access="yes",
        how_known="told_by_person",
    )
    with transaction(sessions) as session:
        ingest(session, keyring, rules, envelope_id, envelope, utcnow())
        item_id = session.scalars(select(QueueItem.id)).one()

    response = logged_in.get(f"/items/{item_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    for label, value in [
        ("What happened", "He said he would bring a gun to school on Friday."),
        ("Category", "Threat of violence"),
        ("Someone in danger right now", "Not sure"),
        ("Access to weapons", "Yes"),
        ("Who", "A student in 10th grade"),
        ("Where", "A school, Lincoln High School"),
        ("When", "Friday morning"),
        ("How the reporter knows", "The person told me"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page, label
    assert '<dt>More about how they know</dt><dd class="muted">Not given</dd>' in page
    assert "<dt>Submitted</dt><dd>2030-01-06 09:00 UTC</dd>" in page
    assert "<dt>Channel</dt><dd>Web form</dd>" in page
    assert "P1 Life safety" in page
    assert "Access to weapons together with a threat of violence" in page  # a reason
    assert "Anonymous: no contact details given." in page

    (event,) = officer_events(sessions)
    assert event[0] == "viewed" and event[2] == item_id and event[3] == {"opened": True}


def test_contact_details_are_shown_only_when_given(
    logged_in, sessions, keyring, rules, sealed_report
) -> None:
    envelope_id, envelope, _ = sealed_report(
        contact={"name": "Pat Reporter", "email": "", "phone": "555-0100"}
    )
    with transaction(sessions) as session:
        ingest(session, keyring, rules, envelope_id, envelope, utcnow())
        item_id = session.scalars(select(QueueItem.id)).one()
    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "<dt>Name</dt><dd>Pat Reporter</dd>" in page
    assert "<dt>Phone</dt><dd>555-0100</dd>" in page
    assert "<dt>Email</dt>" not in page
    assert "Anonymous" not in page


def test_item_of_another_unit_is_not_found_and_the_attempt_is_audited(
    client, sessions, keyring, rules, sealed_report
) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report, what_happened="markertext")
    with transaction(sessions) as session:
        outsider = add_officer(session, "oscar", PASSWORD, "admin", memory_kib=64)
        outsider.unit = other_unit(session, "other-county")
        outsider_id = outsider.id
    login(client, "oscar")

    response = client.get(f"/items/{item_id}")
    assert response.status_code == 404
    assert "markertext" not in response.get_data(as_text=True)
    missing = client.get("/items/999999")
    assert missing.status_code == 404

    events = officer_events(sessions)
    assert [(a, o, i) for a, o, i, _ in events] == [
        ("access-denied", outsider_id, item_id),
        ("access-denied", outsider_id, None),
    ]
    assert events[1][3] == {"requested_item": 999999, "exists": False}
    assert not any(action == "viewed" for action, *_ in events)


def test_an_item_whose_key_is_gone_says_so(
    app, logged_in, sessions, keyring, rules, sealed_report
) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report)
    app.extensions["triage"].keyring = {}  # the key was removed from this host
    response = logged_in.get(f"/items/{item_id}")
    assert response.status_code == 200
    assert "cannot be opened with the keys held here" in response.get_data(as_text=True)
    (event,) = officer_events(sessions)
    assert event[0] == "viewed" and event[3] == {"opened": False, "error": "unknown-key"}


def test_dead_letters_page_lists_the_unit_failures_without_content(
    logged_in, sessions, keyring, rules, sealed_report
) -> None:
    envelope_id, envelope, _ = sealed_report(what_happened="markertext")
    damaged = envelope[:-3] + b"xyz"
    with transaction(sessions) as session:
        ingest(session, keyring, rules, envelope_id, damaged, utcnow())
    page = logged_in.get("/dead-letters").get_data(as_text=True)
    assert "tampered" in page
    assert "envelope failed authentication" in page
    assert envelope_id in page
    assert "markertext" not in page


def test_dead_letters_page_when_empty(logged_in) -> None:
    assert "No dead letters." in logged_in.get("/dead-letters").get_data(as_text=True)
