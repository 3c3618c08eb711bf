"""Links between related items of one unit: listing them, and linking or unlinking by hand.

A link is one ``ItemLink`` row per pair (lower id first). Removing a link keeps the row with
``removed_at`` so that automatic linking (``triage.related``) never brings it back; linking the
pair again by hand re-activates the row as a manual link. Every change is audited on both
items (the detail names the other item and the source, never content).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from triage.audit import record
from triage.models import ItemLink, Officer, QueueItem


class LinkError(ValueError):
    """A link that cannot be made or removed; the message is fit for the officer."""


@dataclass(frozen=True)
class RelatedItem:
    """One active link of an item, seen from that item."""

    link_id: int
    other: QueueItem
    source: str  # "auto" | "manual"
    reasons: tuple[str, ...]  # "person", "handle", "phone", "email", "place", "text"
    created_at: datetime
    created_by: int | None  # the officer who linked by hand


def links_of(session: Session, item: QueueItem) -> list[RelatedItem]:
    """The active links of ``item`` to items of its own unit, most recent other item first.

    An item that has since moved to another unit is left out (its unit's officers see it,
    this one's do not)."""
    links = session.scalars(
        select(ItemLink).where(
            ItemLink.removed_at.is_(None),
            or_(ItemLink.item_a_id == item.id, ItemLink.item_b_id == item.id),
        )
    ).all()
    found: list[RelatedItem] = []
    for link in links:
        other_id = link.item_b_id if link.item_a_id == item.id else link.item_a_id
        other = session.get(QueueItem, other_id)
        if other is None or other.unit_id != item.unit_id:
            continue
        found.append(
            RelatedItem(
                link_id=link.id,
                other=other,
                source=link.source,
                reasons=tuple(link.reasons),
                created_at=link.created_at,
                created_by=link.created_by_id,
            )
        )
    return sorted(found, key=lambda r: (r.other.received_at, r.other.id), reverse=True)


def _pair(session: Session, a: QueueItem, b: QueueItem) -> ItemLink | None:
    low, high = sorted((a.id, b.id))
    return session.scalars(
        select(ItemLink).where(ItemLink.item_a_id == low, ItemLink.item_b_id == high)
    ).first()


def link_by_hand(
    session: Session, a: QueueItem, b: QueueItem, officer: Officer, now: datetime
) -> ItemLink:
    """Link two items of one unit (the caller has checked the officer may see both)."""
    if a.id == b.id:
        raise LinkError("An item cannot be linked to itself.")
    if a.unit_id != b.unit_id:
        raise LinkError("Only items of the same unit can be linked.")
    link = _pair(session, a, b)
    if link is not None and link.removed_at is None:
        raise LinkError(f"Items #{a.id} and #{b.id} are already linked.")
    if link is None:
        low, high = sorted((a.id, b.id))
        link = ItemLink(item_a_id=low, item_b_id=high, reasons=[])
        session.add(link)
    link.source = "manual"
    link.created_at = now
    link.created_by_id = officer.id
    link.removed_at = None
    link.removed_by_id = None
    session.flush()
    _audit(session, "linked", a, b, officer, now)
    return link


def unlink_by_hand(
    session: Session, a: QueueItem, b: QueueItem, officer: Officer, now: datetime
) -> ItemLink:
    """Remove the link between two items; the row stays so it is never re-linked
    automatically."""
    link = _pair(session, a, b)
    if link is None or link.removed_at is not None:
        raise LinkError(f"Items #{a.id} and #{b.id} are not linked.")
    link.removed_at = now
    link.removed_by_id = officer.id
    session.flush()
    _audit(session, "unlinked", a, b, officer, now)
    return link


def _audit(
    session: Session, action: str, a: QueueItem, b: QueueItem, officer: Officer, now: datetime
) -> None:
    for this, other in ((a, b), (b, a)):
        record(
            session,
            action,
            officer_id=officer.id,
            item_id=this.id,
            detail={"other": other.id, "source": "manual"},
            at=now,
        )
