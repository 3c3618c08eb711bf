"""The status lifecycle: new -> in review -> decided -> closed, reopening, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.triage.test_claims import make_officers, officer
from tipline.db import transaction
from triage import claims, dispositions, lifecycle
from triage.dispositions import DispositionInput
from triage.models import AuditEvent, QueueItem
from triage.sealing import UnitCrypto

NOW = datetime(2030, 1, 6, 12, 0, tzinfo=UTC)


def test_the_whole_life_of_an_item(sessions, keyring, add_item) -> None:
    make_officers(sessions, "alice")
    item_id = add_item("P3")
    with transaction(sessions) as session:
        alice, item = officer(session, "alice"), session.get(QueueItem, item_id)
        assert item.status == "new"
        claims.claim_item(session, item, alice, NOW, 30)
        assert item.status == "in_review"
        dispositions.record_disposition(
            session,
            UnitCrypto(keyring),
            item,
            alice,
            DispositionInput("no_further_action", "Prank.", reason="prank"),
            NOW,
        )
        assert item.status == "decided"
        lifecycle.close(session, item, alice, NOW)
        assert item.status == "closed" and item.closed_at == NOW
        lifecycle.reopen(session, item, alice, "reporter_replied", NOW)
        assert item.status == "in_review" and item.closed_at is None
        assert item.claimed_by_id is None  # back in the queue for anyone
        assert item.disposition == "no_further_action"  # the earlier decision stays
        again = claims.claim_next(session, alice, NOW, 30)
        assert again is not None and again.id == item_id
    with sessions() as session:
        reopened = session.scalars(select(AuditEvent).where(AuditEvent.action == "reopened")).one()
        assert reopened.detail == {"from": "closed", "reason": "reporter_replied"}


@pytest.mark.parametrize(
    ("status", "to", "message"),
    [
        (
            "new",
            "decided",
            "the item is new and cannot become decided; from new it can go to in review",
        ),
        ("new", "closed", "cannot become closed"),
        ("in_review", "closed", "the item is in review and cannot become closed"),
        ("closed", "decided", "from closed it can go to in review"),
    ],
)
def test_invalid_transitions_say_what_is_possible(status, to, message) -> None:
    item = QueueItem(status=status)
    with pytest.raises(lifecycle.InvalidTransition, match=message):
        lifecycle.check_transition(item, to)


def test_close_and_reopen_refuse_the_wrong_status_or_reason(sessions, add_item) -> None:
    make_officers(sessions, "alice")
    item_id = add_item("P3", status="in_review")
    with transaction(sessions) as session:
        alice, item = officer(session, "alice"), session.get(QueueItem, item_id)
        with pytest.raises(lifecycle.InvalidTransition, match="cannot become closed"):
            lifecycle.close(session, item, alice, NOW)
        with pytest.raises(lifecycle.InvalidTransition, match="choose why"):
            lifecycle.reopen(session, item, alice, "felt like it", NOW)
        with pytest.raises(lifecycle.InvalidTransition, match="in review and cannot become in"):
            lifecycle.reopen(session, item, alice, "new_information", NOW)
        assert item.status == "in_review"


def test_another_units_officer_cannot_close(sessions, add_item) -> None:
    make_officers(sessions, "alice")
    item_id = add_item("P3", status="decided", unit_slug="north")
    with (
        transaction(sessions) as session,
        pytest.raises(lifecycle.InvalidTransition, match="not in your unit"),
    ):
        lifecycle.close(session, session.get(QueueItem, item_id), officer(session, "alice"), NOW)
