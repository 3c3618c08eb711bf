"""Dispositions: each one's required fields, sealed notes and partner names, who may decide,
and what deciding does to the item."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.triage.helpers import table_dump
from tests.triage.test_claims import make_officers, officer
from tipline.db import transaction
from triage import claims, dispositions
from triage.dispositions import DispositionInput
from triage.models import AuditEvent, Decision, QueueItem
from triage.sealing import UnitCrypto

NOW = datetime(2030, 1, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def claimed(sessions, add_item):
    """An item in review, claimed by alice; returns its id."""
    make_officers(sessions, "alice", "bob")
    make_officers(sessions, "sam", role="supervisor")
    item_id = add_item("P2")
    with transaction(sessions) as session:
        claims.claim_item(
            session, session.get(QueueItem, item_id), officer(session, "alice"), NOW, 60
        )
    return item_id


def decide(sessions, keyring, item_id: int, data: DispositionInput, who: str = "alice"):
    with transaction(sessions) as session:
        return dispositions.record_disposition(
            session,
            UnitCrypto(keyring),
            session.get(QueueItem, item_id),
            officer(session, who),
            data,
            NOW,
        )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            DispositionInput("emergency_response", "Called dispatch."),
            {"law_enforcement_notified", "notified_at"},
        ),
        (
            DispositionInput(
                "emergency_response",
                "Called dispatch.",
                law_enforcement_notified="yes",
                notified_at=NOW + timedelta(hours=1),
            ),
            {"notified_at"},
        ),
        (DispositionInput("refer_partner", "School team."), {"partner_kind", "partner_name"}),
        (
            DispositionInput("refer_partner", "x", partner_kind="astrologer", partner_name="A"),
            {"partner_kind"},
        ),
        (DispositionInput("monitor", "Watch."), {"review_on"}),
        (DispositionInput("monitor", "Watch.", review_on=NOW.date()), {"review_on"}),
        (DispositionInput("no_further_action", "Nothing to it."), {"reason"}),
        (DispositionInput("no_further_action", "x", reason="bored"), {"reason"}),
        (DispositionInput("open_case", "   "), {"note"}),
        (DispositionInput("arrest_everyone", "No."), {"disposition"}),
    ],
)
def test_missing_or_wrong_fields_are_refused_and_nothing_is_recorded(
    sessions, keyring, claimed, data, errors
) -> None:
    with pytest.raises(dispositions.DispositionInvalid) as raised:
        decide(sessions, keyring, claimed, data)
    assert set(raised.value.errors) == errors
    assert all(message.endswith(".") for message in raised.value.errors.values())
    with sessions() as session:
        item = session.get(QueueItem, claimed)
        assert item.status == "in_review" and item.disposition is None
        assert item.claimed_by_id == officer(session, "alice").id  # still theirs to retry
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_each_disposition_keeps_its_fields(sessions, keyring, add_item, claimed) -> None:
    cases = [
        (
            DispositionInput(
                "emergency_response",
                "Dispatch sent a unit.",
                law_enforcement_notified="yes",
                notified_at=NOW - timedelta(minutes=3),
            ),
            {"law_enforcement_notified": True, "notified_at": "2030-01-06T11:57:00+00:00"},
        ),
        (DispositionInput("open_case", "Case opened."), {}),
        (
            DispositionInput(
                "refer_partner", "Referred.", partner_kind="school_team", partner_name="Lincoln TAT"
            ),
            {"partner_kind": "school_team"},
        ),
        (
            DispositionInput("monitor", "Check back.", review_on=date(2030, 2, 1)),
            {"review_on": "2030-02-01"},
        ),
        (
            DispositionInput("no_further_action", "Duplicate of #1.", reason="duplicate"),
            {"reason": "duplicate"},
        ),
    ]
    for data, detail in cases:
        item_id = add_item("P3")
        with transaction(sessions) as session:
            claims.claim_item(
                session, session.get(QueueItem, item_id), officer(session, "bob"), NOW, 30
            )
        decision = decide(sessions, keyring, item_id, data, who="bob")
        assert decision.detail == detail
        with sessions() as session:
            item = session.get(QueueItem, item_id)
            assert item.status == "decided" and item.disposition == data.disposition
            assert item.decided_at == NOW
            assert item.claimed_by_id is None and item.claim_expires_at is None
            if data.disposition == "monitor":
                assert item.review_on == datetime(2030, 2, 1, tzinfo=UTC)
            view = dispositions.present(UnitCrypto(keyring), session.get(Decision, decision.id))
            assert view.note == data.note
            if data.disposition == "refer_partner":
                assert ("Partner's name", "Lincoln TAT") in view.facts
            actions = session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.item_id == item_id)
                .order_by(AuditEvent.id)
            ).all()
            assert actions[-2:] == ["claim-released", "decided"]


def test_notes_and_partner_names_are_not_in_clear(
    sessions, keyring, claimed, triage_db_url
) -> None:
    note = "CANARY-NOTE-5be1 spoke with the vice principal"
    partner = "CANARY-PARTNER-0c9d High School team"
    decide(
        sessions,
        keyring,
        claimed,
        DispositionInput("refer_partner", note, partner_kind="school_team", partner_name=partner),
    )
    dump = b"\n".join(table_dump(triage_db_url))
    assert b"CANARY-NOTE-5be1" not in dump
    assert b"CANARY-PARTNER-0c9d" not in dump
    assert b"school_team" in dump  # the kind is in clear, for the dashboard


def test_only_the_claimant_or_a_supervisor_decides(sessions, keyring, claimed) -> None:
    data = DispositionInput("open_case", "Case.")
    with pytest.raises(dispositions.CannotDecide, match="claim it first"):
        decide(sessions, keyring, claimed, data, who="bob")
    decision = decide(sessions, keyring, claimed, data, who="sam")
    assert decision.officer_id is not None
    with sessions() as session:
        assert session.get(QueueItem, claimed).status == "decided"


def test_a_lapsed_claim_must_be_renewed_and_a_decided_item_reopened(
    sessions, keyring, claimed
) -> None:
    data = DispositionInput("open_case", "Case.")
    with transaction(sessions) as session:
        dispositions_now = NOW + timedelta(hours=2)
        with pytest.raises(dispositions.CannotDecide, match="ran out"):
            dispositions.record_disposition(
                session,
                UnitCrypto(keyring),
                session.get(QueueItem, claimed),
                officer(session, "alice"),
                data,
                dispositions_now,
            )
    decide(sessions, keyring, claimed, data)
    with pytest.raises(dispositions.CannotDecide, match="decided and cannot become decided"):
        decide(sessions, keyring, claimed, data, who="sam")
