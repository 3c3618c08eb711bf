"""What the item page and the acknowledgement page show about an item's alerts: is it being
paged, who acknowledged, SLA flags, notifications that could not be delivered. No content."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from triage.models import Alert, Notification, Officer, QueueItem
from triage.notify.outbox import failures_for_item
from triage.paging import life_safety_alert

STATUS_TEXT = {
    "paging": "Paging the on-call list: nobody has acknowledged yet.",
    "exhausted": (
        "Nobody on the on-call list acknowledged; the unit's supervisor contacts were told."
    ),
    "acknowledged": "Acknowledged.",
    "done": "Paging stopped: the item is no longer open.",
}


@dataclass(frozen=True)
class ItemAlerts:
    page: Alert | None
    acknowledged_by: str | None
    warned_at: datetime | None
    escalated_at: datetime | None
    failures: list[Notification] = field(default_factory=list)

    @property
    def needs_ack(self) -> bool:
        return self.page is not None and self.page.status in ("paging", "exhausted")

    @property
    def page_text(self) -> str:
        return STATUS_TEXT.get(self.page.status, "") if self.page is not None else ""


def item_alerts(session: Session, item: QueueItem) -> ItemAlerts:
    page = life_safety_alert(session, item.id)
    by = None
    if page is not None and page.acknowledged_by_id is not None:
        officer = session.get(Officer, page.acknowledged_by_id)
        by = officer.username if officer is not None else None
    return ItemAlerts(
        page=page,
        acknowledged_by=by,
        warned_at=item.warned_at,
        escalated_at=item.escalated_at,
        failures=failures_for_item(session, item.id),
    )
