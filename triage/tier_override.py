"""A supervisor sets an item's tier by hand; from then on the automatic score leaves it alone.

Intake scores an item once (``scored_tier`` keeps that score) and only the related-reports
rule changes a tier automatically afterwards; that rule skips any item whose tier a person has
set (``tier_overridden``), which this module sets. Setting a tier recomputes the due time from
the new tier's SLA, counted from when the report was received (as intake does), and adds a
reason on top of the item's "why this tier".

The reason is a choice from ``OVERRIDE_REASONS`` rather than free text: it is kept in clear in
the audit event and on the item, so it must never carry content about the report.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tipline.settings import Settings
from triage import policy, workflow_hooks
from triage.audit import record
from triage.models import OPEN_STATUSES, TIERS, Officer, QueueItem
from triage.rules import Rules

OVERRIDE_REASONS: dict[str, str] = {
    "new_information": "new information changes the urgency",
    "rules_missed": "the rules missed an indicator",
    "rules_overstated": "the rules overstated the urgency",
    "related_reports": "related reports change the picture",
    "reporter_follow_up": "the reporter's answers change the picture",
    "partner_input": "a partner agency's information",
}


class CannotSetTier(ValueError):
    """The tier cannot be set as asked; the message says why."""


def set_tier(
    session: Session,
    item: QueueItem,
    officer: Officer,
    tier: str,
    reason: str,
    rules: Rules,
    now: datetime,
    settings: Settings | None = None,
) -> str:
    """Set ``item``'s tier (supervisors and admins of its unit); returns the old tier. A new
    P1 starts paging the on-call list (``settings`` gives the acknowledgement wait).

    Raises ``CannotSetTier``. Flushes, never commits.
    """
    if not policy.can_set_tier(officer, item):
        raise CannotSetTier("only a supervisor of the item's unit can set its tier")
    if tier not in TIERS or tier not in rules.tiers:
        raise CannotSetTier(f"choose a tier: {', '.join(TIERS)}")
    if reason not in OVERRIDE_REASONS:
        raise CannotSetTier("choose why the tier changes")
    if item.status not in OPEN_STATUSES:
        raise CannotSetTier("only an open item's tier can change; reopen it first")
    old = item.tier
    if tier == old and item.tier_overridden:
        raise CannotSetTier(f"the item is already {tier}")
    item.tier = tier
    item.tier_overridden = True
    item.due_at = item.received_at + rules.tiers[tier].due
    item.reasons = [
        {
            "rule": "override",
            "text": f"Set to {tier} by {officer.username}: {OVERRIDE_REASONS[reason]}",
            "tier": tier,
            "at": now.isoformat(),
        },
        *[r for r in item.reasons if r.get("rule") != "override"],
    ]
    session.flush()
    record(
        session,
        "tier-set",
        officer_id=officer.id,
        item_id=item.id,
        detail={"from": old, "to": tier, "reason": reason},
        at=now,
    )
    workflow_hooks.on_tier_set(session, item, old, tier, now, settings)
    return old
