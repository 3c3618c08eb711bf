"""Where the parts of the intake workflow meet: claiming stops a page, a tier set to P1 pages,
and the scheduler's tick expires claims and brings monitored items back on their review date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.triage.alerts_helpers import add_contacts, ingest_p1
from tests.triage.test_claims import make_officers, officer
from tipline.db import transaction
from triage import claims, dispositions, lifecycle, scheduler, tier_override
from triage.dispositions import DispositionInput
from triage.models import Alert, AuditEvent, Notification, QueueItem
from triage.sealing import UnitCrypto


def test_claiming_a_paged_item_stops_the_page(
    sessions, keyring, rules, sealed_report, settings, receiver
) -> None:
    add_contacts(
        sessions,
        "default",
        ("First", "webhook", f"{receiver.url}/first"),
        ("Second", "webhook", f"{receiver.url}/second"),
    )
    make_officers(sessions, "alice")
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    now = datetime.now(UTC)
    scheduler.tick(sessions, settings, now)
    assert [r.path for r in receiver.received] == ["/first"]

    with transaction(sessions) as session:
        taken = claims.claim_next(session, officer(session, "alice"), now, 30)
        assert taken is not None and taken.id == item_id

    # Long after the acknowledgement wait, nobody else is paged.
    later = now + timedelta(minutes=settings.page_ack_minutes * 2 + 1)
    scheduler.tick(sessions, settings, later)
    assert [r.path for r in receiver.received] == ["/first"]
    with sessions() as session:
        alert = session.scalars(
            select(Alert).where(Alert.item_id == item_id, Alert.kind == "life_safety")
        ).one()
        assert alert.status == "acknowledged"
        assert alert.acknowledged_by_id == officer(session, "alice").id
        acked = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "page-acknowledged")
        ).one()
        assert acked.detail.get("via") == "claim"


def test_a_tier_set_to_p1_pages_the_on_call_list(
    sessions, rules, settings, add_item, receiver
) -> None:
    add_contacts(sessions, "default", ("First", "webhook", f"{receiver.url}/first"))
    make_officers(sessions, "sam", role="supervisor")
    item_id = add_item("P3")
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        tier_override.set_tier(
            session, item, officer(session, "sam"), "P1", "new_information", rules, now, settings
        )
    scheduler.tick(sessions, settings, now)
    assert [r.path for r in receiver.received] == ["/first"]
    assert receiver.received[0].json["tier"] == "P1"

    # Setting P1 again (or another tier and back) never starts a second page.
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        sam = officer(session, "sam")
        tier_override.set_tier(session, item, sam, "P2", "new_information", rules, now, settings)
        tier_override.set_tier(session, item, sam, "P1", "new_information", rules, now, settings)
    with sessions() as session:
        assert len(session.scalars(select(Alert).where(Alert.item_id == item_id)).all()) == 1
        assert len(session.scalars(select(Notification)).all()) == 1


def test_the_tick_expires_claims_and_reopens_monitored_items_when_due(
    sessions, keyring, settings, add_item
) -> None:
    make_officers(sessions, "alice")
    held_id, watched_id = add_item("P3"), add_item("P4")
    now = datetime.now(UTC)
    review_day = (now + timedelta(days=2)).date()
    with transaction(sessions) as session:
        alice = officer(session, "alice")
        claims.claim_item(session, session.get(QueueItem, held_id), alice, now, 30)
        watched = session.get(QueueItem, watched_id)
        claims.claim_item(session, watched, alice, now, 30)
        dispositions.record_disposition(
            session,
            UnitCrypto(keyring),
            watched,
            alice,
            DispositionInput("monitor", "Check in after the weekend.", review_on=review_day),
            now,
        )

    # An hour later: the lease has run out, the review date has not come.
    summary = scheduler.tick(sessions, settings, now + timedelta(hours=1))
    assert summary["claims_expired"] == 1 and summary["reviews_due"] == 0
    with sessions() as session:
        held = session.get(QueueItem, held_id)
        assert held.claimed_by_id is None and held.status == "in_review"
        assert session.get(QueueItem, watched_id).status == "decided"

    # On the review date the monitored item is back in the queue, with a fresh due time.
    review_time = datetime.combine(review_day, datetime.min.time(), UTC) + timedelta(hours=12)
    summary = scheduler.tick(sessions, settings, review_time)
    assert summary["reviews_due"] == 1
    again = scheduler.tick(sessions, settings, review_time + timedelta(minutes=1))
    assert again["reviews_due"] == 0  # once
    with sessions() as session:
        watched = session.get(QueueItem, watched_id)
        assert watched.status == "in_review" and watched.claimed_by_id is None
        assert watched.due_at > review_time
        reopened = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "reopened", AuditEvent.item_id == watched_id
            )
        ).one()
        assert reopened.officer_id is None
        assert reopened.detail == {"from": "decided", "reason": "review_due"}


def test_a_reopened_item_gets_its_tier_time_again(sessions, keyring, add_item) -> None:
    make_officers(sessions, "alice")
    item_id = add_item("P2", due_in=timedelta(hours=1))
    much_later = datetime.now(UTC) + timedelta(days=3)
    with transaction(sessions) as session:
        alice, item = officer(session, "alice"), session.get(QueueItem, item_id)
        window = item.due_at - item.received_at
        claims.claim_item(session, item, alice, much_later, 30)
        dispositions.record_disposition(
            session,
            UnitCrypto(keyring),
            item,
            alice,
            DispositionInput("no_further_action", "Out of scope.", reason="out_of_scope"),
            much_later,
        )
        lifecycle.reopen(session, item, alice, "new_information", much_later)
        assert item.due_at == much_later + window  # not already overdue
        assert item.warned_at is None
