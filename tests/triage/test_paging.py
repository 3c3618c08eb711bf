"""Paging the on-call list for a life-safety item: in order, one contact per wait, until
somebody acknowledges; then supervisors; each page carries no report content."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.triage.alerts_helpers import CANARY, Receiver, add_contacts, ingest_p1
from tests.triage.helpers import csrf_from, login
from tipline.db import transaction
from triage import paging, scheduler
from triage.models import Alert, AuditEvent, Notification, Officer, QueueItem
from triage.notify import signing


@pytest.fixture
def call_list(sessions, receiver):
    add_contacts(
        sessions,
        "default",
        ("First", "webhook", f"{receiver.url}/first"),
        ("Off duty", "webhook", f"{receiver.url}/inactive"),
        ("Second", "webhook", f"{receiver.url}/second"),
        ("Chief", "webhook", f"{receiver.url}/chief", "supervisor"),
    )
    with transaction(sessions) as session:
        from triage.models import UnitContact

        session.scalars(
            select(UnitContact).where(UnitContact.name == "Off duty")
        ).one().active = False


def kinds(receiver: Receiver, path: str) -> list[str]:
    return [r.json["kind"] for r in receiver.to(path)]


def test_pages_go_down_the_list_then_to_supervisors(
    sessions, keyring, rules, sealed_report, settings, receiver, call_list, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    start = datetime.now(UTC)
    scheduler.tick(sessions, settings, start)
    assert [r.path for r in receiver.received] == ["/first"]
    page = receiver.received[0].json
    assert page["kind"] == "life_safety" and page["item"] == item_id and page["tier"] == "P1"
    assert page["ack_url"].startswith(f"{settings.triage_url}/ack/")

    # Within the wait nothing more happens.
    scheduler.tick(sessions, settings, start + timedelta(minutes=4))
    assert len(receiver.received) == 1
    # After it, the next *active* on-call contact.
    summary = scheduler.tick(sessions, settings, start + timedelta(minutes=5, seconds=1))
    assert summary["paged"] == 1
    assert [r.path for r in receiver.received] == ["/first", "/second"]
    # The list is exhausted: supervisors are told (once), paging stops.
    scheduler.tick(sessions, settings, start + timedelta(minutes=10, seconds=2))
    scheduler.tick(sessions, settings, start + timedelta(minutes=14))
    assert kinds(receiver, "/chief") == ["life_safety_unanswered"]
    assert receiver.to("/inactive") == []
    with sessions() as session:
        alert = paging.life_safety_alert(session, item_id)
        assert alert is not None and alert.status == "exhausted"
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.item_id == item_id).order_by(AuditEvent.id)
        ).all()
    assert [a for a in actions if a.startswith("page-")] == [
        "page-started",
        "page-advanced",
        "page-exhausted",
    ]
    # Nothing of the report anywhere: bodies, headers, logs.
    for received in receiver.received:
        assert CANARY not in received.body.decode() and "gun" not in received.body.decode()
        assert CANARY not in str(received.headers)
    assert not any(CANARY in r.getMessage() for r in caplog.records)


def test_acknowledging_on_the_item_page_stops_paging(
    app, sessions, keyring, rules, sealed_report, settings, receiver, call_list, officer
) -> None:
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    start = datetime.now(UTC)
    scheduler.tick(sessions, settings, start)
    client = app.test_client()
    login(client, officer)
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Acknowledge: I have this item" in page
    response = client.post(f"/items/{item_id}/acknowledge", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Acknowledged." in page and f"By {officer}" in page
    assert "Acknowledge: I have this item" not in page

    scheduler.tick(sessions, settings, start + timedelta(minutes=6))
    scheduler.tick(sessions, settings, start + timedelta(minutes=11))
    assert [r.path for r in receiver.received] == ["/first"]
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "page-acknowledged")
        ).one()
        assert event.detail["via"] == "item-page" and event.officer_id is not None


def test_ack_link_shows_then_acknowledges_after_login(
    app, sessions, keyring, rules, sealed_report, settings, receiver, call_list, officer
) -> None:
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    scheduler.tick(sessions, settings, datetime.now(UTC))
    path = receiver.received[0].json["ack_url"].removeprefix(settings.triage_url)
    client = app.test_client()
    # Logged out: the login page, then back to the link.
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, officer)
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Acknowledge life-safety item #{item_id}" in text and CANARY not in text
    with sessions() as session:
        assert paging.life_safety_alert(session, item_id).status == "paging"  # GET changes nothing
    response = client.post(path, data={"csrf_token": csrf_from(text)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/items/{item_id}")
    with sessions() as session:
        alert = paging.life_safety_alert(session, item_id)
        alice = session.scalars(select(Officer).where(Officer.username == officer)).one()
        assert (alert.status, alert.acknowledged_by_id) == ("acknowledged", alice.id)
    # Used again: says who acknowledged, changes nothing.
    again = client.get(path).get_data(as_text=True)
    assert f"Already acknowledged by {officer}" in again
    # Without CSRF: refused.
    assert client.post(path).status_code == 400


def test_an_invalid_ack_link_says_so(app, logged_in, sessions) -> None:
    response = logged_in.get("/ack/not-a-real-token-at-all-0123456789")
    assert response.status_code == 404
    assert "This acknowledgement link is not valid" in response.get_data(as_text=True)
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access-denied")
        ).one()
        assert event.detail["reason"] == "unknown-ack-token"


def test_another_units_officer_cannot_acknowledge(
    app, sessions, keyring, rules, sealed_report, settings, receiver, call_list, stranger
) -> None:
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    scheduler.tick(sessions, settings, datetime.now(UTC))
    path = receiver.received[0].json["ack_url"].removeprefix(settings.triage_url)
    assert stranger.get(path).status_code == 404
    token = csrf_from(stranger.get("/queue").get_data(as_text=True))
    assert stranger.post(path, data={"csrf_token": token}).status_code == 404
    assert (
        stranger.post(f"/items/{item_id}/acknowledge", data={"csrf_token": token}).status_code
        == 404
    )
    with sessions() as session:
        assert paging.life_safety_alert(session, item_id).status == "paging"


def test_claiming_acknowledges_and_only_the_first_counts(
    sessions, keyring, rules, sealed_report, settings, call_list, officer
) -> None:
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        alice = session.scalars(select(Officer).where(Officer.username == officer)).one()
        assert paging.acknowledge(session, item, alice, now, "claim") is not None
        assert paging.acknowledge(session, item, alice, now, "link") is None
        with pytest.raises(ValueError):
            paging.acknowledge(session, item, alice, now, "telepathy")
    with sessions() as session:
        assert (
            session.scalar(select(func.count()).where(AuditEvent.action == "page-acknowledged"))
            == 1
        )


def test_paging_starts_once_per_item(sessions, keyring, rules, sealed_report, settings, call_list):
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        assert paging.start_life_safety(session, item, datetime.now(UTC), settings) is None
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
        assert session.scalar(select(func.count()).select_from(Notification)) == 1


def test_a_decided_item_stops_being_paged(
    sessions, keyring, rules, sealed_report, settings, receiver, call_list
) -> None:
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    start = datetime.now(UTC)
    scheduler.tick(sessions, settings, start)
    with transaction(sessions) as session:
        session.get(QueueItem, item_id).status = "decided"
    scheduler.tick(sessions, settings, start + timedelta(minutes=6))
    assert [r.path for r in receiver.received] == ["/first"]
    with sessions() as session:
        assert paging.life_safety_alert(session, item_id).status == "done"


def test_every_page_is_signed(
    sessions, keyring, rules, sealed_report, settings, receiver, call_list
):
    ingest_p1(sessions, keyring, rules, sealed_report, settings)
    scheduler.tick(sessions, settings, datetime.now(UTC))
    (received,) = receiver.received
    headers = {k.lower(): v for k, v in received.headers.items()}
    timestamp = headers["x-tipline-timestamp"]
    signature = headers["x-tipline-signature"]
    secret = settings.webhook_secret
    now = int(time.time())
    assert signing.verify(secret, timestamp, received.body, signature, now)
    assert not signing.verify(secret, timestamp, received.body + b" ", signature, now)
    assert not signing.verify(b"another secret", timestamp, received.body, signature, now)
    assert not signing.verify(secret, str(int(timestamp) - 3600), received.body, signature, now)
    assert headers["x-tipline-delivery"] == received.json["id"]
