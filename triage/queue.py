"""Reading the queue: a unit's items by tier then due time, filtered and paged; dead letters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from triage.models import OPEN_STATUSES, STATUSES, TIERS, DeadLetter, Organization, QueueItem

PER_PAGE = 25
STATUS_FILTERS = {
    "open": "Open (new and in review)",
    "new": "New",
    "in_review": "In review",
    "decided": "Decided",
    "closed": "Closed",
    "replied": "Reporter replied (unread, any status)",
    "all": "All",
}

T = TypeVar("T")


@dataclass(frozen=True)
class QueueFilters:
    tier: str = ""  # "" = every tier
    status: str = "open"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> QueueFilters:
        """Read filters from a query string; anything unexpected falls back to the default."""
        tier = args.get("tier", "")
        status = args.get("status", "open")
        return cls(
            tier=tier if tier in TIERS else "",
            status=status if status in STATUS_FILTERS else "open",
            page=_page_number(args.get("page")),
        )

    def query_args(self, **changes: object) -> dict[str, object]:
        """Arguments for a link to these filters with some changed (defaults left out)."""
        values = {"tier": self.tier, "status": self.status, "page": self.page} | changes
        defaults = {"tier": "", "status": "open", "page": 1}
        return {k: v for k, v in values.items() if v != defaults[k]}


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: Sequence[T]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_row(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.per_page + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.number * self.per_page)

    def links(self, window: int = 2) -> list[int | None]:
        """Page numbers to link to; ``None`` marks a gap ("1 2 ... 7 8 9 ... 20")."""
        shown = {1, self.pages} | set(range(self.number - window, self.number + window + 1))
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        links: list[int | None] = []
        for n in numbers:
            if links and n - (links[-1] or 0) > 1:
                links.append(None)
            links.append(n)
        return links


def _page_number(raw: str | None) -> int:
    if raw is None or not raw.isdigit():
        return 1
    return max(1, min(int(raw), 1_000_000))


def _paged(session: Session, query: Select[tuple[T]], page: int) -> Page[T]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-(total or 0) // PER_PAGE))
    number = min(page, pages)
    rows = session.scalars(query.limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    return Page(rows=rows, number=number, total=total or 0)


def list_items(session: Session, unit_id: int, filters: QueueFilters) -> Page[QueueItem]:
    """The unit's items, most urgent tier first, then earliest due."""
    query = select(QueueItem).where(QueueItem.unit_id == unit_id)
    if filters.status == "open":
        query = query.where(QueueItem.status.in_(OPEN_STATUSES))
    elif filters.status in STATUSES:
        query = query.where(QueueItem.status == filters.status)
    elif filters.status == "replied":
        query = query.where(QueueItem.unread_replies > 0)
    if filters.tier:
        query = query.where(QueueItem.tier == filters.tier)
    query = query.order_by(QueueItem.tier, QueueItem.due_at, QueueItem.id)
    return _paged(session, query, filters.page)


def open_counts(session: Session, unit_id: int, now: datetime) -> dict[str, dict[str, int]]:
    """Per tier: open items and how many of them are overdue."""
    counts = {tier: {"open": 0, "overdue": 0} for tier in TIERS}
    overdue = func.sum(case((QueueItem.due_at < now, 1), else_=0))
    query = (
        select(QueueItem.tier, func.count(), overdue)
        .where(QueueItem.unit_id == unit_id, QueueItem.status.in_(OPEN_STATUSES))
        .group_by(QueueItem.tier)
    )
    for tier, total, late in session.execute(query):
        counts[tier] = {"open": total, "overdue": int(late or 0)}
    return counts


def unread_reply_count(session: Session, unit_id: int) -> int:
    """Items of any status whose reporter wrote something no officer has seen yet."""
    query = select(func.count()).where(QueueItem.unit_id == unit_id, QueueItem.unread_replies > 0)
    return int(session.scalar(query) or 0)


def is_overdue(item: QueueItem, now: datetime) -> bool:
    return item.status in OPEN_STATUSES and item.due_at < now


def list_dead_letters(session: Session, unit_id: int, page: int) -> Page[DeadLetter]:
    query = (
        select(DeadLetter)
        .where(DeadLetter.unit_id == unit_id)
        .order_by(DeadLetter.received_at.desc(), DeadLetter.id.desc())
    )
    return _paged(session, query, page)


def organization_names(session: Session, items: Sequence[QueueItem]) -> dict[str, str]:
    """Directory names of the organizations these items are attributed to."""
    ids = {item.organization_id for item in items if item.organization_id}
    if not ids:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    return {org_id: name for org_id, name in rows}
