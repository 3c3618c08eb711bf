"""What a notification says. Built only from the fields below, so nothing of a report (its
narrative, names, places, identifiers, even its category) can end up in an email, a webhook,
an SMS or a log line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

SCHEMA = "tipline.notification/1"

# The kinds of notice: why this person is told.
LIFE_SAFETY = "life_safety"  # a P1 item: the on-call contact must acknowledge
UNANSWERED = "life_safety_unanswered"  # nobody on the on-call list acknowledged: supervisors
SLA_WARNING = "sla_warning"  # an item is close to its due time
SLA_BREACH = "sla_breach"  # an open item is past its due time: supervisors
KINDS = (LIFE_SAFETY, UNANSWERED, SLA_WARNING, SLA_BREACH)

HEADLINES = {
    LIFE_SAFETY: "Life-safety report: acknowledge now",
    UNANSWERED: "Life-safety report: nobody on the on-call list acknowledged",
    SLA_WARNING: "Item due soon",
    SLA_BREACH: "Item past its due time",
}


@dataclass(frozen=True)
class Notice:
    """One notification's whole content: no field may ever hold report content."""

    notification_id: str
    kind: str
    unit: str  # the unit's name
    item_id: int
    tier: str
    due_at: datetime
    item_url: str
    ack_url: str | None  # life-safety pages only

    @property
    def headline(self) -> str:
        return HEADLINES[self.kind]

    def subject(self) -> str:
        return f"[Tipline {self.tier}] {self.headline}: item #{self.item_id}"

    def text(self) -> str:
        """The body of an email (and what the console shows)."""
        lines = [
            f"{self.headline}.",
            "",
            f"Unit: {self.unit}",
            f"Item: #{self.item_id}",
            f"Tier: {self.tier}",
            f"Due: {self.due_at:%Y-%m-%d %H:%M} UTC",
            "",
            f"Open the item: {self.item_url}",
        ]
        if self.ack_url:
            lines.append(f"Acknowledge (stops paging the next contact): {self.ack_url}")
        lines += ["", "This message carries no report content; log in to read the item."]
        return "\n".join(lines)

    def short_text(self) -> str:
        """An SMS: short enough for one or two messages."""
        link = self.ack_url or self.item_url
        return f"Tipline {self.tier}: {self.headline}, item #{self.item_id}. {link}"

    def as_json(self) -> dict[str, Any]:
        """The body of a webhook (``tipline.notification/1``)."""
        return {
            "schema": SCHEMA,
            "id": self.notification_id,
            "kind": self.kind,
            "headline": self.headline,
            "unit": self.unit,
            "item": self.item_id,
            "tier": self.tier,
            "due_at": self.due_at.isoformat(),
            "item_url": self.item_url,
            "ack_url": self.ack_url,
        }
