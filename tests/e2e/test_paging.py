"""A life-safety report typed into the public form pages the unit's on-call list over real
HTTP: the first contact at once, the second when the first does not acknowledge, and nobody
more once an officer acknowledges through the link in the page."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.e2e.harness import System, csrf_token
from tests.triage.alerts_helpers import Receiver
from tipline.db import make_engine, transaction
from triage import directory_admin, scheduler
from triage.audit import triage_sessions
from triage.models import Alert, AuditEvent, default_unit
from triage.notify import signing

CANARY = "canary-e2e-5b1d0c"


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def test_p1_report_pages_down_the_call_list_until_acknowledged(
    system: System, receiver: Receiver, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = system.settings
    engine = make_engine(settings.triage_database_url or "")
    sessions = triage_sessions(engine, settings)
    with transaction(sessions) as session:
        unit = default_unit(session)
        for name, path in (("First", "first"), ("Second", "second"), ("Third", "third")):
            directory_admin.add_unit_contact(
                session, unit.slug, name, "webhook", f"{receiver.url}/{path}"
            )
    officer = system.officer_session(system.add_officer("duty"))

    submitted = system.submit_report(what_happened=f"He will bring a gun on Friday {CANARY}")
    assert submitted.status_code == 200
    system.run_intake()  # ingests, commits the page, then the delivery job sends it

    assert [r.path for r in receiver.received] == ["/first"]
    first = receiver.received[0]
    assert first.json["kind"] == "life_safety" and first.json["tier"] == "P1"

    # Nobody acknowledges within the wait: the scheduler pages the second contact.
    start = datetime.now(UTC)
    scheduler.tick(
        sessions, settings, start + timedelta(minutes=settings.page_ack_minutes, seconds=5)
    )
    assert [r.path for r in receiver.received] == ["/first", "/second"]
    second = receiver.received[1]
    assert second.json["item"] == first.json["item"]
    assert second.json["ack_url"] != first.json["ack_url"]

    # The second contact follows the link in the page and acknowledges, logged in.
    ack_path = urlsplit(second.json["ack_url"]).path
    page = officer.get(system.triage_url + ack_path, timeout=30)
    assert page.status_code == 200 and "Acknowledge life-safety item" in page.text
    done = officer.post(
        system.triage_url + ack_path, data={"csrf_token": csrf_token(page.text)}, timeout=30
    )
    assert done.status_code == 200 and done.url.endswith(f"/items/{first.json['item']}")
    assert "acknowledged: nobody else will be paged" in done.text

    # Later ticks page nobody else.
    for minutes in (11, 16, 30):
        scheduler.tick(sessions, settings, start + timedelta(minutes=minutes))
    assert [r.path for r in receiver.received if r.json["kind"] == "life_safety"] == [
        "/first",
        "/second",
    ]
    assert receiver.to("/third") == []
    with sessions() as session:
        alert = session.scalars(select(Alert).where(Alert.kind == "life_safety")).one()
        assert alert.status == "acknowledged"
        ack = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "page-acknowledged")
        ).one()
        assert ack.detail["via"] == "link"
    engine.dispose()

    # Signed, and nothing of the report in any page or log line.
    for received in receiver.received:
        headers = {k.lower(): v for k, v in received.headers.items()}
        assert signing.verify(
            settings.webhook_secret or b"",
            headers["x-tipline-timestamp"],
            received.body,
            headers["x-tipline-signature"],
            int(time.time()),
        )
        assert CANARY not in received.body.decode() and "gun" not in received.body.decode()
    assert not any(CANARY in record.getMessage() for record in caplog.records)
