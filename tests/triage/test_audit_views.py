"""The supervisors' audit log page: their unit's events only, filters, pages, newest first, the
chain check; refusals; viewing it is itself audited; failed logins are recorded without the
typed username, an IP address or a user agent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from tests.triage.conftest import other_unit
from tests.triage.helpers import PASSWORD, csrf_from, login
from tipline.db import transaction
from triage.audit import record
from triage.models import AuditEvent, Officer, default_unit
from triage.officers import add_officer

EVENT_ROW = re.compile(r'<tr data-event="(\d+)">')
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def unit_log(sessions, add_item) -> dict[str, int]:
    """A supervisor ("sam") and an officer ("olga") of the default unit, an officer of another
    unit ("nick"), an item of each unit, and a few events on known days."""
    mine, theirs = add_item(), add_item(unit_slug="north")
    with transaction(sessions) as session:
        sam = add_officer(session, "sam", PASSWORD, "supervisor", memory_kib=64)
        olga = add_officer(session, "olga", PASSWORD, "officer", memory_kib=64)
        nick = add_officer(session, "nick", PASSWORD, "officer", memory_kib=64)
        nick.unit_id = other_unit(session, "north").id
        session.flush()
        record(session, "viewed", officer_id=olga.id, item_id=mine, at=T0)
        record(session, "message-sent", officer_id=olga.id, item_id=mine, at=T0 + timedelta(1))
        record(session, "viewed", officer_id=nick.id, item_id=theirs, at=T0 + timedelta(2))
        record(session, "ingested", item_id=mine, detail={"tier": "P4"}, at=T0 + timedelta(3))
        record(session, "ingested", item_id=theirs, detail={"tier": "P3"}, at=T0 + timedelta(3))
        record(session, "access-denied", officer_id=olga.id, item_id=theirs, at=T0 + timedelta(4))
        ids = {"sam": sam.id, "olga": olga.id, "nick": nick.id}
    return ids | {"mine": mine, "theirs": theirs}


def shown(page: str, sessions) -> list[tuple[str, str | None, int | None]]:
    """(action, username, item id) of the rows on the page, in page order."""
    ids = [int(i) for i in EVENT_ROW.findall(page)]
    with sessions() as session:
        events = {e.id: e for e in session.scalars(select(AuditEvent))}
        names = {i: n for i, n in session.execute(select(Officer.id, Officer.username))}
        return [(events[i].action, names.get(events[i].officer_id), events[i].item_id) for i in ids]


def supervisor(app):
    client = app.test_client()
    assert login(client, "sam").status_code == 302
    return client


def test_a_supervisor_sees_the_units_events_newest_first(app, sessions, unit_log) -> None:
    page = supervisor(app).get("/audit")
    assert page.status_code == 200
    rows = [r for r in shown(page.text, sessions) if r[0] not in ("login",)]
    mine, theirs = unit_log["mine"], unit_log["theirs"]
    assert rows == [
        ("access-denied", "olga", theirs),  # by the unit's officer: shown, item hidden
        ("ingested", None, mine),
        ("message-sent", "olga", mine),
        ("viewed", "olga", mine),
    ]
    assert f"#{theirs}" not in page.text and "another unit's item" in page.text
    assert "nick" not in page.text  # another unit's officer and their events


def test_filters_narrow_the_events(app, sessions, unit_log) -> None:
    client = supervisor(app)
    mine = unit_log["mine"]

    def actions(query: str) -> list[str]:
        page = client.get(f"/audit?{query}")
        assert page.status_code == 200, page.text
        return [r[0] for r in shown(page.text, sessions)]

    assert actions("officer=olga") == ["access-denied", "message-sent", "viewed"]
    assert actions("action=viewed") == ["viewed"]
    assert actions(f"item={mine}") == ["ingested", "message-sent", "viewed"]
    assert actions(f"item=%23{mine}&action=ingested") == ["ingested"]
    assert actions("from=2026-03-03&to=2026-03-05") == ["ingested", "message-sent"]
    assert actions("from=2026-03-06&to=2026-03-31") == ["access-denied"]


def test_bad_filters_are_named_and_keep_what_was_typed(app, sessions, unit_log) -> None:
    page = supervisor(app).get("/audit?item=abc&from=2026-13-01")
    assert page.status_code == 400
    assert "Item number &#39;abc&#39; is not a number." in page.text
    assert "From date &#39;2026-13-01&#39; is not a date" in page.text
    assert 'value="abc"' in page.text
    page = supervisor(app).get("/audit?from=2026-03-05&to=2026-03-01")
    assert page.status_code == 400 and "The end date is before the start date." in page.text


def test_pages_hold_fifty_newest_first(app, sessions, unit_log) -> None:
    with transaction(sessions) as session:
        for n in range(60):
            record(
                session,
                "viewed",
                officer_id=unit_log["olga"],
                item_id=unit_log["mine"],
                detail={"n": n},
                at=T0 + timedelta(days=10, minutes=n),
            )
    client = supervisor(app)
    first = client.get("/audit?action=viewed")
    second = client.get("/audit?action=viewed&page=2")
    ids = [int(i) for i in EVENT_ROW.findall(first.text)]
    ids2 = [int(i) for i in EVENT_ROW.findall(second.text)]
    assert (len(ids), len(ids2)) == (50, 11)
    assert 'href="/audit?action=viewed&amp;page=2" rel="next"' in first.text
    with sessions() as session:
        ns = [session.get(AuditEvent, i).detail.get("n") for i in ids + ids2]
    assert ns == [*range(59, -1, -1), None]  # the oldest is the fixture's view


def test_viewing_the_log_is_audited(app, sessions, unit_log) -> None:
    supervisor(app).get("/audit?action=viewed&item=7")
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit-viewed")).one()
    assert (event.officer_id, event.detail) == (unit_log["sam"], {"action": "viewed", "item": 7})


def test_an_officer_is_refused(app, sessions, unit_log) -> None:
    client = app.test_client()
    login(client, "olga")
    assert client.get("/audit").status_code == 403
    token = csrf_from(client.get("/queue").text)
    assert client.post("/audit/verify", data={"csrf_token": token}).status_code == 403
    assert "Audit log" not in client.get("/queue").text
    assert "Audit log" in supervisor(app).get("/queue").text


def test_the_verify_button_shows_the_chain_state(app, sessions, unit_log, triage_db_url) -> None:
    client = supervisor(app)
    token = csrf_from(client.get("/audit").text)
    assert client.post("/audit/verify", data={}).status_code == 400  # no CSRF token
    page = client.post("/audit/verify", data={"csrf_token": token})
    assert page.status_code == 200
    assert 'data-verify="ok"' in page.text and "audit chain intact" in page.text

    with sessions() as session:
        edited = session.scalars(
            select(AuditEvent.seq).where(AuditEvent.action == "message-sent")
        ).one()
    engine = create_engine(triage_db_url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(
            text("UPDATE audit_events SET action = 'viewed' WHERE seq = :s"), {"s": edited}
        )
    engine.dispose()
    page = client.post("/audit/verify", data={"csrf_token": token})
    assert 'data-verify="broken"' in page.text
    assert f"audit chain BROKEN: row seq {edited} (id " in page.text
    with sessions() as session:
        checks = session.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "audit-verified")
            .order_by(AuditEvent.id)
        ).all()
    assert [c["ok"] for c in checks] == [True, False]


def test_a_failed_login_is_recorded_without_name_ip_or_agent(app, sessions, triage_db_url) -> None:
    with transaction(sessions) as session:
        known = add_officer(session, "carol", PASSWORD, "officer", memory_kib=64).id
        unit = default_unit(session).id
    assert unit
    client = app.test_client()
    browser = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "MarkerAgent/9.9"}
    client.environ_base.update(browser)
    login(client, "carol", "wrong password, long enough")
    login(client, "mallory-typed-this", PASSWORD)
    with sessions() as session:
        failures = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "login-failed").order_by(AuditEvent.id)
        ).all()
    assert [(e.officer_id, e.detail) for e in failures] == [(known, {}), (None, {})]
    engine = create_engine(triage_db_url)
    with engine.connect() as conn:
        rows = [str(tuple(r)) for r in conn.execute(text("SELECT * FROM audit_events"))]
    engine.dispose()
    dump = " ".join(rows)
    for needle in ("203.0.113.77", "MarkerAgent", "mallory", "wrong password"):
        assert needle not in dump
