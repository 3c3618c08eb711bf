"""Claims with a lease: claim next in queue order, never one item to two officers (also under
concurrency, on SQLite and PostgreSQL), renew, release, assign, and expiry back to the queue."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.triage.helpers import PASSWORD
from tipline.db import transaction
from triage import claims
from triage.models import AuditEvent, Officer, QueueItem, default_unit
from triage.officers import add_officer

MINUTES = 30


def make_officers(sessions: sessionmaker[Session], *names: str, role: str = "officer") -> None:
    with transaction(sessions) as session:
        unit = default_unit(session)
        for name in names:
            add_officer(session, name, PASSWORD, role, memory_kib=8).unit_id = unit.id


def officer(session: Session, name: str) -> Officer:
    return session.scalars(select(Officer).where(Officer.username == name)).one()


def actions(session: Session, item_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action).where(AuditEvent.item_id == item_id).order_by(AuditEvent.id)
        )
    )


def test_claim_next_takes_the_most_urgent_then_earliest_due(sessions, add_item) -> None:
    make_officers(sessions, "alice")
    p3 = add_item("P3", timedelta(hours=1))
    p1_late = add_item("P1", timedelta(minutes=30))
    p1_soon = add_item("P1", timedelta(minutes=5))
    add_item("P1", timedelta(minutes=1), status="decided")  # not open: never claimed
    now = datetime.now(UTC)
    taken = []
    for _ in range(4):
        with transaction(sessions) as session:
            item = claims.claim_next(session, officer(session, "alice"), now, MINUTES)
            taken.append(item.id if item else None)
    assert taken == [p1_soon, p1_late, p3, None]
    with sessions() as session:
        item = session.get(QueueItem, p1_soon)
        assert item.status == "in_review"
        assert item.claimed_by_id == officer(session, "alice").id
        assert item.claim_expires_at == now + timedelta(minutes=MINUTES)
        assert item.first_reviewed_at == now
        assert actions(session, p1_soon) == ["claimed"]


def test_claim_next_only_takes_items_of_the_officers_unit(sessions, add_item) -> None:
    make_officers(sessions, "alice")
    add_item("P1", unit_slug="north")
    with transaction(sessions) as session:
        assert claims.claim_next(session, officer(session, "alice"), datetime.now(UTC), 5) is None


def test_an_item_held_by_someone_cannot_be_claimed(sessions, add_item) -> None:
    make_officers(sessions, "alice", "bob")
    item_id = add_item("P2")
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        claims.claim_item(
            session, session.get(QueueItem, item_id), officer(session, "alice"), now, 30
        )
    with transaction(sessions) as session:
        bob = officer(session, "bob")
        with pytest.raises(claims.NotClaimable, match="another officer holds this item"):
            claims.claim_item(session, session.get(QueueItem, item_id), bob, now, 30)
        assert claims.claim_next(session, bob, now, 30) is None
    with sessions() as session:
        assert session.get(QueueItem, item_id).claimed_by_id == officer(session, "alice").id


def test_concurrent_officers_never_get_the_same_item(sessions, add_item) -> None:
    """Eight officers claim as fast as they can from separate sessions and threads until the
    queue is empty: every item is claimed exactly once (SQLite and PostgreSQL)."""
    names = [f"officer{n}" for n in range(8)]
    make_officers(sessions, *names)
    item_ids = {add_item(tier, timedelta(minutes=n)) for n in range(12) for tier in TIERS_CYCLE}
    now = datetime.now(UTC)
    start = threading.Barrier(len(names))
    got: dict[str, list[int]] = {name: [] for name in names}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            while True:
                with transaction(sessions) as session:
                    item = claims.claim_next(session, officer(session, name), now, MINUTES)
                    if item is None:
                        return
                    got[name].append(item.id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    claimed = Counter(item_id for ids in got.values() for item_id in ids)
    assert [item_id for item_id, n in claimed.items() if n > 1] == []
    assert set(claimed) == item_ids
    with sessions() as session:
        holders = dict(session.execute(select(QueueItem.id, QueueItem.claimed_by_id)).all())
        by_name = {o.username: o.id for o in session.scalars(select(Officer))}
        for name, ids in got.items():
            assert all(holders[item_id] == by_name[name] for item_id in ids)
        claimed_events = session.scalars(
            select(AuditEvent.item_id).where(AuditEvent.action == "claimed")
        ).all()
        assert sorted(claimed_events) == sorted(item_ids)


TIERS_CYCLE = ("P1", "P2", "P3", "P4")


def test_an_expired_claim_returns_the_item_to_the_queue(sessions, add_item) -> None:
    make_officers(sessions, "alice", "bob")
    item_id = add_item("P2")
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        claims.claim_next(session, officer(session, "alice"), now, 10)
    later = now + timedelta(minutes=11)
    with transaction(sessions) as session:
        assert claims.expire_claims(session, now + timedelta(minutes=9)) == 0
        assert claims.expire_claims(session, later) == 1
        assert claims.expire_claims(session, later) == 0  # once
    with sessions() as session:
        item = session.get(QueueItem, item_id)
        assert item.claimed_by_id is None and item.claim_expires_at is None
        assert item.status == "in_review"  # reviewed once; back in the queue, unclaimed
        assert item.first_reviewed_at == now
        expired = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "claim-expired")
        ).one()
        assert expired.item_id == item_id and expired.officer_id is None
        assert expired.detail == {"holder": officer(session, "alice").id}
    with transaction(sessions) as session:
        item = claims.claim_next(session, officer(session, "bob"), later, 10)
        assert item is not None and item.id == item_id
        assert item.first_reviewed_at == now  # the first review stays the first


def test_a_lapsed_lease_can_be_taken_before_the_expiry_job_runs(sessions, add_item) -> None:
    make_officers(sessions, "alice", "bob")
    item_id = add_item("P2")
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        claims.claim_next(session, officer(session, "alice"), now, 10)
    with transaction(sessions) as session:
        item = claims.claim_next(session, officer(session, "bob"), now + timedelta(minutes=10), 10)
        assert item is not None and item.id == item_id
    with transaction(sessions) as session:
        alice = officer(session, "alice")
        with pytest.raises(claims.NotHolder):
            claims.renew_claim(session, session.get(QueueItem, item_id), alice, now, 10)


def test_renew_extends_and_release_frees(sessions, add_item) -> None:
    make_officers(sessions, "alice", "bob")
    item_id = add_item("P3")
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        alice = officer(session, "alice")
        claims.claim_item(session, session.get(QueueItem, item_id), alice, now, 10)
        claims.renew_claim(
            session, session.get(QueueItem, item_id), alice, now + timedelta(minutes=8), 10
        )
    with sessions() as session:
        assert session.get(QueueItem, item_id).claim_expires_at == now + timedelta(minutes=18)
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        with pytest.raises(claims.NotHolder, match="only the officer holding"):
            claims.release_claim(session, item, officer(session, "bob"), now)
    with transaction(sessions) as session:
        claims.release_claim(
            session, session.get(QueueItem, item_id), officer(session, "alice"), now
        )
    with sessions() as session:
        item = session.get(QueueItem, item_id)
        assert item.claimed_by_id is None and item.status == "in_review"
        assert actions(session, item_id) == ["claimed", "claim-renewed", "claim-released"]


def test_a_supervisor_assigns_and_reassigns_within_the_unit(sessions, add_item) -> None:
    make_officers(sessions, "alice", "bob")
    make_officers(sessions, "sam", role="supervisor")
    item_id = add_item("P2")
    with transaction(sessions) as session:
        from tests.triage.conftest import other_unit

        stranger = add_officer(session, "nora", PASSWORD, "officer", memory_kib=8)
        stranger.unit_id = other_unit(session, "north").id
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        item, sam = session.get(QueueItem, item_id), officer(session, "sam")
        claims.assign(session, item, sam, officer(session, "alice"), now, 30)
        assert item.status == "in_review" and item.first_reviewed_at == now
        claims.assign(session, item, sam, officer(session, "bob"), now, 30)
        with pytest.raises(claims.ClaimError, match="officer of the item's unit"):
            claims.assign(session, item, sam, officer(session, "nora"), now, 30)
        with pytest.raises(claims.ClaimError, match="only a supervisor"):
            claims.assign(
                session, item, officer(session, "alice"), officer(session, "alice"), now, 30
            )
    with sessions() as session:
        assert session.get(QueueItem, item_id).claimed_by_id == officer(session, "bob").id
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "assigned").order_by(AuditEvent.id)
        ).all()
        assert [(e.detail["from"], e.detail["to"]) for e in events] == [
            (None, officer(session, "alice").id),
            (officer(session, "alice").id, officer(session, "bob").id),
        ]
