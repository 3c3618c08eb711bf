"""A supervisor sets the tier with a reason; the due time follows; automatic raising stops."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.triage.helpers import ingest_envelope, item_id_of
from tests.triage.test_claims import make_officers, officer
from tipline.db import transaction
from triage import tier_override
from triage.models import AuditEvent, QueueItem

NOW = datetime(2030, 1, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def item_id(sessions, keyring, rules, sealed_report) -> int:
    envelope_id, envelope, _ = sealed_report(category="bullying")
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    return item_id_of(sessions, envelope_id)


def test_a_supervisor_sets_the_tier_and_the_due_time_follows(sessions, rules, item_id) -> None:
    make_officers(sessions, "sam", role="supervisor")
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        assert (item.tier, item.scored_tier, item.tier_overridden) == ("P3", "P3", False)
        old = tier_override.set_tier(
            session, item, officer(session, "sam"), "P1", "rules_missed", rules, NOW
        )
        assert old == "P3"
    with sessions() as session:
        item = session.get(QueueItem, item_id)
        assert (item.tier, item.scored_tier, item.tier_overridden) == ("P1", "P3", True)
        assert item.due_at == item.received_at + rules.tiers["P1"].due
        assert item.reasons[0]["tier"] == "P1"
        assert item.reasons[0]["text"] == "Set to P1 by sam: the rules missed an indicator"
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "tier-set")).one()
        assert event.detail == {"from": "P3", "to": "P1", "reason": "rules_missed"}
        assert event.officer_id == officer(session, "sam").id


@pytest.mark.parametrize(
    ("who", "tier", "reason", "message"),
    [
        ("alice", "P1", "rules_missed", "only a supervisor"),
        ("sam", "P9", "rules_missed", "choose a tier"),
        ("sam", "P1", "", "choose why"),
        ("sam", "P1", "because I said so", "choose why"),
    ],
)
def test_refusals(sessions, rules, item_id, who, tier, reason, message) -> None:
    make_officers(sessions, "alice")
    make_officers(sessions, "sam", role="supervisor")
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        with pytest.raises(tier_override.CannotSetTier, match=message):
            tier_override.set_tier(session, item, officer(session, who), tier, reason, rules, NOW)
    with sessions() as session:
        item = session.get(QueueItem, item_id)
        assert (item.tier, item.tier_overridden) == ("P3", False)
