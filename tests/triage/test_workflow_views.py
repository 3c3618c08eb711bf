"""The working panel over HTTP: claim next from the queue, hold, decide with the fields each
disposition asks for (no JavaScript), close, reopen, assign, change the tier."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.triage.helpers import PASSWORD, csrf_from, ingest_envelope, item_id_of, login, table_dump
from tipline.db import transaction
from tipline.queue_contract import PORTAL_QUEUE, RECORD_REPORT_STATUS, queue
from triage.models import AuditEvent, Decision, QueueItem, default_unit
from triage.officers import add_officer


def ingested(sessions, keyring, rules, sealed_report, **report) -> int:
    envelope_id, envelope, _ = sealed_report(**report)
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    return item_id_of(sessions, envelope_id)


def post(client: FlaskClient, page_url: str, url: str, data: dict | None = None):
    """POST like the page's form would: a disposition's form has its fields (and its CSRF
    token) prefixed with the disposition's name."""
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    prefixes = {key.split("-")[0] for key in data or {} if "-" in key}
    tokens = {f"{prefix}-csrf_token": token for prefix in prefixes} or {"csrf_token": token}
    return client.post(url, data=(data or {}) | tokens)


def person(app, sessions, username: str, role: str) -> FlaskClient:
    with transaction(sessions) as session:
        add_officer(session, username, PASSWORD, role, memory_kib=8).unit_id = default_unit(
            session
        ).id
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def actions(sessions, item_id: int) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.item_id == item_id, AuditEvent.action != "viewed")
                .order_by(AuditEvent.id)
            )
        )


def test_claim_next_from_the_queue_then_decide(
    logged_in, sessions, keyring, rules, sealed_report
) -> None:
    routine = ingested(sessions, keyring, rules, sealed_report, category="bullying")
    urgent = ingested(sessions, keyring, rules, sealed_report, danger_now="yes")
    queue = logged_in.get("/queue").get_data(as_text=True)
    assert "Claim the next item" in queue
    response = post(logged_in, "/queue", "/queue/claim-next")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/items/{urgent}#top")
    page = logged_in.get(f"/items/{urgent}").get_data(as_text=True)
    assert "You hold this item" in page
    assert "Record a disposition" in page
    # Each disposition's form asks only for its own fields.
    assert 'name="monitor-review_on"' in page
    assert 'name="open_case-review_on"' not in page
    assert 'name="refer_partner-partner_name"' in page
    assert 'name="no_further_action-partner_name"' not in page

    notified = datetime.now(UTC) - timedelta(minutes=10)
    response = post(
        logged_in,
        f"/items/{urgent}",
        f"/items/{urgent}/dispositions/emergency_response",
        {
            "emergency_response-law_enforcement_notified": "y",
            "emergency_response-notified_at": notified.strftime("%Y-%m-%dT%H:%M"),
            "emergency_response-note": "Dispatch sent a patrol to the address.",
        },
    )
    assert response.status_code == 303
    page = logged_in.get(f"/items/{urgent}").get_data(as_text=True)
    assert "Emergency response requested</strong> by alice" in page
    assert "Dispatch sent a patrol to the address." in page
    assert notified.strftime("%Y-%m-%d %H:%M UTC") in page
    assert "Close the item" in page
    # No on-call contact in this unit: the page is exhausted at once, and the claim answers it.
    assert actions(sessions, urgent) == [
        "ingested",
        "page-exhausted",
        "claimed",
        "page-acknowledged",
        "claim-released",
        "decided",
    ]
    with sessions() as session:
        assert session.get(QueueItem, routine).claimed_by_id is None


def test_a_refused_disposition_keeps_what_was_typed(
    logged_in, sessions, keyring, rules, sealed_report, triage_db_url
) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report)
    post(logged_in, f"/items/{item_id}", f"/items/{item_id}/claim")
    note = "CANARY-VIEW-4e2f the counselor knows the family"
    response = post(
        logged_in,
        f"/items/{item_id}",
        f"/items/{item_id}/dispositions/refer_partner",
        {"refer_partner-note": note, "refer_partner-partner_name": "Eastside counseling"},
    )
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Choose the kind of partner the item is referred to." in page
    assert note in page and 'value="Eastside counseling"' in page
    assert '<details class="disposition" open>' in page
    with sessions() as session:
        assert session.scalars(select(Decision)).all() == []

    response = post(
        logged_in,
        f"/items/{item_id}",
        f"/items/{item_id}/dispositions/refer_partner",
        {
            "refer_partner-note": note,
            "refer_partner-partner_name": "Eastside counseling",
            "refer_partner-partner_kind": "mental_health",
        },
    )
    assert response.status_code == 303
    assert all(b"CANARY-VIEW-4e2f" not in value for value in table_dump(triage_db_url))
    assert all(b"Eastside counseling" not in value for value in table_dump(triage_db_url))


def test_a_bad_date_is_a_clear_error(logged_in, sessions, keyring, rules, sealed_report) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report)
    post(logged_in, f"/items/{item_id}", f"/items/{item_id}/claim")
    response = post(
        logged_in,
        f"/items/{item_id}",
        f"/items/{item_id}/dispositions/monitor",
        {"monitor-note": "Watch the posts.", "monitor-review_on": "2020-01-01"},
    )
    assert response.status_code == 400
    assert "The review date must be after today." in response.get_data(as_text=True)
    response = post(
        logged_in,
        f"/items/{item_id}",
        f"/items/{item_id}/dispositions/monitor",
        {"monitor-note": "Watch the posts.", "monitor-review_on": "next tuesday"},
    )
    assert response.status_code == 400
    assert "Not a valid date value." in response.get_data(as_text=True)


def test_someone_elses_item_shows_the_holder_and_cannot_be_decided(
    app, logged_in, sessions, keyring, rules, sealed_report
) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report)
    post(logged_in, f"/items/{item_id}", f"/items/{item_id}/claim")
    bob = person(app, sessions, "bob", "officer")
    page = bob.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Held by <strong>alice</strong>" in page
    assert "Record a disposition" not in page
    response = post(bob, f"/items/{item_id}", f"/items/{item_id}/claim")
    assert response.status_code == 409
    assert "another officer holds this item" in response.get_data(as_text=True)
    response = post(
        bob,
        f"/items/{item_id}",
        f"/items/{item_id}/dispositions/open_case",
        {"open_case-note": "Mine now."},
    )
    assert response.status_code == 403
    response = post(bob, f"/items/{item_id}", f"/items/{item_id}/release")
    assert response.status_code == 403
    with sessions() as session:
        assert session.get(QueueItem, item_id).status == "in_review"


def test_a_supervisor_assigns_sets_the_tier_and_releases(
    app, logged_in, sessions, keyring, rules, sealed_report
) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report, category="bullying")
    sam = person(app, sessions, "sam", "supervisor")
    page = sam.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Change the tier" in page and "Assign to" in page
    assert "Change the tier" not in logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    response = post(sam, f"/items/{item_id}", f"/items/{item_id}/assign", {"assignee": "alice"})
    assert response.status_code == 303
    assert "You hold this item" in logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    response = post(
        sam, f"/items/{item_id}", f"/items/{item_id}/tier", {"new_tier": "P2", "tier_reason": ""}
    )
    assert response.status_code == 400
    assert "choose why the tier changes" in response.get_data(as_text=True)
    response = post(
        sam,
        f"/items/{item_id}",
        f"/items/{item_id}/tier",
        {"new_tier": "P2", "tier_reason": "partner_input"},
    )
    assert response.status_code == 303
    page = sam.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Set to P2 by sam: a partner agency&#39;s information" in page
    response = post(sam, f"/items/{item_id}", f"/items/{item_id}/release")
    assert response.status_code == 303
    with sessions() as session:
        item = session.get(QueueItem, item_id)
        assert (item.tier, item.tier_overridden, item.claimed_by_id) == ("P2", True, None)
    assert actions(sessions, item_id) == [
        "ingested",
        "assigned",
        "tier-set",
        "claim-released",
    ]


def test_close_and_reopen(logged_in, sessions, keyring, rules, sealed_report) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report)
    page = f"/items/{item_id}"
    assert post(logged_in, page, f"{page}/close").status_code == 409  # not decided yet
    post(logged_in, page, f"{page}/claim")
    post(
        logged_in,
        page,
        f"{page}/dispositions/no_further_action",
        {"no_further_action-reason": "duplicate", "no_further_action-note": "Same as #1."},
    )
    assert post(logged_in, page, f"{page}/close").status_code == 303
    response = post(logged_in, page, f"{page}/reopen", {"reopen_reason": ""})
    assert response.status_code == 400
    assert "Choose why the item is reopened." in response.get_data(as_text=True)
    assert (
        post(logged_in, page, f"{page}/reopen", {"reopen_reason": "decision_error"}).status_code
        == 303
    )
    with sessions() as session:
        item = session.get(QueueItem, item_id)
        assert item.status == "in_review" and item.closed_at is None
    assert actions(sessions, item_id)[-3:] == ["decided", "closed", "reopened"]


def test_claim_next_with_nothing_free_says_so(logged_in) -> None:
    response = post(logged_in, "/queue", "/queue/claim-next")
    assert response.status_code == 303
    assert "every open item of your unit is taken" in logged_in.get("/queue").get_data(as_text=True)


def test_state_changes_need_a_csrf_token(
    logged_in, sessions, keyring, rules, sealed_report
) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report)
    assert logged_in.post(f"/items/{item_id}/claim").status_code == 400
    assert logged_in.post("/queue/claim-next").status_code == 400
    with sessions() as session:
        assert session.get(QueueItem, item_id).claimed_by_id is None


def test_the_queue_shows_who_holds_an_item(
    app, logged_in, sessions, keyring, rules, sealed_report
) -> None:
    held = ingested(sessions, keyring, rules, sealed_report)
    free = ingested(sessions, keyring, rules, sealed_report)
    post(logged_in, f"/items/{held}", f"/items/{held}/claim")
    bob = person(app, sessions, "bob", "officer")
    queue = bob.get("/queue").get_data(as_text=True)
    assert queue.count("Held by alice") == 1
    row = queue.split(f'href="/items/{free}"')[0].rsplit("<tr", 1)[1]
    assert "Held by" not in row


def test_an_item_moved_to_another_unit_arrives_unclaimed(
    app, logged_in, sessions, keyring, rules, sealed_report
) -> None:
    from tests.triage.conftest import other_unit

    item_id = ingested(sessions, keyring, rules, sealed_report)
    post(logged_in, f"/items/{item_id}", f"/items/{item_id}/claim")
    with transaction(sessions) as session:
        other_unit(session, "north")
    sam = person(app, sessions, "sam", "supervisor")
    response = post(
        sam, f"/items/{item_id}", f"/items/{item_id}/move", {"unit": "north", "reason": "Theirs."}
    )
    assert response.status_code == 303
    with sessions() as session:
        item = session.get(QueueItem, item_id)
        assert item.claimed_by_id is None and item.claim_expires_at is None


def test_a_lapsed_claim_puts_the_item_back_for_others(
    app, logged_in, sessions, keyring, rules, sealed_report
) -> None:
    item_id = ingested(sessions, keyring, rules, sealed_report)
    start = datetime.now(UTC)
    context = app.extensions["triage"]
    context.clock = lambda: start
    post(logged_in, f"/items/{item_id}", f"/items/{item_id}/claim")
    context.clock = lambda: start + timedelta(minutes=31)  # TIPLINE_CLAIM_MINUTES is 30
    bob = person(app, sessions, "bob", "officer")
    page = bob.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Nobody holds this item (the last claim ran out)" in page
    assert "Held by" not in bob.get("/queue").get_data(as_text=True)
    response = post(bob, "/queue", "/queue/claim-next")
    assert response.headers["Location"].endswith(f"/items/{item_id}#top")
    assert "You hold this item" in bob.get(f"/items/{item_id}").get_data(as_text=True)


def test_the_reporter_sees_being_reviewed_then_closed(
    logged_in, sessions, keyring, rules, sealed_report, redis_conn
) -> None:
    envelope_id, envelope, _ = sealed_report()
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    item_id = item_id_of(sessions, envelope_id)
    page = f"/items/{item_id}"

    def statuses() -> list[str]:
        jobs = queue(PORTAL_QUEUE, redis_conn).get_jobs()
        return [j.args[1] for j in jobs if j.func_name == RECORD_REPORT_STATUS]

    post(logged_in, page, f"{page}/claim")
    assert statuses() == ["in_review"]
    post(
        logged_in,
        page,
        f"{page}/dispositions/open_case",
        {"open_case-note": "Case opened."},
    )
    assert statuses() == ["in_review"]  # the decision itself is not the reporter's to see
    post(logged_in, page, f"{page}/close")
    post(logged_in, page, f"{page}/reopen", {"reopen_reason": "reporter_replied"})
    assert statuses() == ["in_review", "closed", "in_review"]
    jobs = queue(PORTAL_QUEUE, redis_conn).get_jobs()
    assert {j.args[0] for j in jobs} == {envelope_id}
