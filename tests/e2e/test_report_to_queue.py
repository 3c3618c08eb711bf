"""A report typed into the public form reaches an officer's queue with its tier and reasons."""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text

from tests.e2e.harness import System, all_rows, receipt_code


def item_links(page: str) -> list[str]:
    return re.findall(r'href="(/items/\d+)"', page)


def row_tiers(page: str) -> list[str]:
    """Tiers of the queue rows, top to bottom."""
    return re.findall(r'data-tier="(P\d)"', page)


def test_report_travels_from_form_to_officer(system: System) -> None:
    submitted = system.submit_report()
    assert submitted.status_code == 200
    code = receipt_code(submitted.text)
    assert "write" in submitted.text.lower()  # the note to write the code down

    system.run_intake()
    system.run_portal_worker()

    officer = system.officer_session(system.add_officer())
    queue_page = officer.get(f"{system.triage_url}/queue", timeout=30)
    assert queue_page.status_code == 200
    assert row_tiers(queue_page.text) == ["P1"]
    assert re.search(r"weapon", queue_page.text, re.IGNORECASE)  # a reason for the tier
    links = item_links(queue_page.text)
    assert len(links) == 1

    item_page = officer.get(system.triage_url + links[0], timeout=30)
    assert item_page.status_code == 200
    assert "bring his father&#39;s gun to school on Friday" in item_page.text
    assert "Lincoln High School" in item_page.text
    assert item_page.headers["Cache-Control"].startswith("no-store")

    # The portal's outbox knows triage holds it; the code itself is stored nowhere.
    outbox = [
        row
        for table, row in all_rows(system.settings.portal_database_url or "")
        if table == "outbox_envelopes"
    ]
    assert len(outbox) == 1 and outbox[0]["acked_at"] is not None
    engine = create_engine(system.settings.triage_database_url or "")
    with engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_events"))]
    engine.dispose()
    assert "viewed" in actions
    digits = code.replace("-", "").replace(" ", "")
    for url in (system.settings.portal_database_url, system.settings.triage_database_url):
        for _, row in all_rows(url or ""):
            for value in row.values():
                assert digits not in str(value) and code not in str(value)


def test_routine_report_is_p4_with_its_reason(system: System) -> None:
    response = system.submit_report(
        what_happened="Someone keeps leaving rude notes in the break room.",
        category="other",
        subject="",
        location_type="",
        location="",
        when="",
        weapons_access="no",
        how_known="saw_or_heard",
    )
    assert response.status_code == 200
    system.run_intake()
    officer = system.officer_session(system.add_officer())
    page = officer.get(f"{system.triage_url}/queue", timeout=30).text
    assert row_tiers(page) == ["P4"]
    assert "No risk indicator matched" in page


def test_queue_orders_life_safety_first(system: System) -> None:
    system.submit_report(
        what_happened="Rude notes again.",
        category="other",
        subject="",
        location_type="",
        location="",
        when="",
        weapons_access="no",
    )
    system.submit_report(
        what_happened="He is on the roof and says he will jump right now.",
        category="self_harm",
        danger_now="yes",
    )
    system.run_intake()
    officer = system.officer_session(system.add_officer())
    page = officer.get(f"{system.triage_url}/queue", timeout=30).text
    assert row_tiers(page) == ["P1", "P4"]


def test_person_in_danger_is_told_to_call_911_and_report_is_kept(system: System) -> None:
    response = system.submit_report(danger_now="yes")
    assert response.status_code == 200
    assert "911" in response.text
    receipt_code(response.text)
    system.run_intake()
    rows = [r for t, r in all_rows(system.settings.triage_database_url or "") if t == "queue_items"]
    assert [r["tier"] for r in rows] == ["P1"]
