"""Reading the queue: a unit's items by tier then due time, filtered and paged; dead letters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, union_all
from sqlalchemy.orm import Session

from triage.models import OPEN_STATUSES, STATUSES, TIERS, DeadLetter, Organization, QueueItem

PER_PAGE = 25
# Counts on the queue page stop here ("1000+"), so that the page costs about the same with a
# thousand or a million stored items (bench/queue_scale.py).
COUNT_CAP = 1000
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
class Count:
    """A count that stopped at a cap: ``more`` means "at least ``value``". Shows as "1000+"."""

    value: int
    more: bool = False

    def __str__(self) -> str:
        return f"{self.value}+" if self.more else str(self.value)

    def __bool__(self) -> bool:
        return self.value > 0


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: Sequence[T]
    number: int
    total: int
    per_page: int = PER_PAGE
    more: bool = False  # ``total`` is where counting stopped: there are more rows

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


def _count_below(query: Select[tuple[T]], cap: int) -> Select[tuple[int]]:
    """How many rows ``query`` has, counting no further than ``cap + 1``."""
    return select(func.count()).select_from(query.order_by(None).limit(cap + 1).subquery())


def _capped(value: int, cap: int) -> Count:
    return Count(min(value, cap), value > cap)


def _statuses(filters: QueueFilters) -> tuple[str, ...]:
    if filters.status == "open":
        return OPEN_STATUSES
    if filters.status == "all":
        return STATUSES
    if filters.status in STATUSES:
        return (filters.status,)
    return ()


def list_items(session: Session, unit_id: int, filters: QueueFilters) -> Page[QueueItem]:
    """The unit's items, most urgent tier first, then earliest due.

    Each status is read in the order of the queue index, only as far as the page needs, and
    the total is counted up to a cap (ten pages past this one, at least ``COUNT_CAP``), so a
    page costs about the same with a thousand or a million items.
    """
    query = select(QueueItem).where(QueueItem.unit_id == unit_id)
    statuses = _statuses(filters)
    if filters.status == "replied":
        query = query.where(QueueItem.unread_replies > 0)
    if filters.tier:
        query = query.where(QueueItem.tier == filters.tier)
    counted = query.where(QueueItem.status.in_(statuses)) if statuses else query
    cap = max(COUNT_CAP, (filters.page + 10) * PER_PAGE)
    total = _capped(
        session.scalar(_count_below(counted.with_only_columns(QueueItem.id), cap)) or 0, cap
    )
    pages = max(1, -(-total.value // PER_PAGE))
    number = min(filters.page, pages)
    offset = (number - 1) * PER_PAGE
    if len(statuses) > 1:
        rows = _merged_page(session, query, statuses, offset)
    else:
        single = query.where(QueueItem.status == statuses[0]) if statuses else query
        order = (QueueItem.tier, QueueItem.due_at, QueueItem.id)
        rows = session.scalars(single.order_by(*order).limit(PER_PAGE).offset(offset)).all()
    return Page(rows=rows, number=number, total=total.value, more=total.more)


def _merged_page(
    session: Session, query: Select[tuple[QueueItem]], statuses: tuple[str, ...], offset: int
) -> list[QueueItem]:
    """One page across several statuses: the first ``offset + PER_PAGE`` of each status in
    queue order (an index range each), merged. ``status IN (...)`` ordered by tier would sort
    every matching row instead."""
    order = (QueueItem.tier, QueueItem.due_at, QueueItem.id)
    keys = query.with_only_columns(QueueItem.id, QueueItem.tier, QueueItem.due_at)
    parts = [
        select(
            keys.where(QueueItem.status == status)
            .order_by(*order)
            .limit(offset + PER_PAGE)
            .subquery()
        )
        for status in statuses
    ]
    merged = union_all(*parts).subquery()
    ids = list(
        session.scalars(
            select(merged.c.id)
            .order_by(merged.c.tier, merged.c.due_at, merged.c.id)
            .limit(PER_PAGE)
            .offset(offset)
        )
    )
    found = {
        item.id: item for item in session.scalars(select(QueueItem).where(QueueItem.id.in_(ids)))
    }
    return [found[item_id] for item_id in ids if item_id in found]


def open_counts(session: Session, unit_id: int, now: datetime) -> dict[str, dict[str, Count]]:
    """Per tier: open items and how many of them are overdue, each counted up to
    ``COUNT_CAP`` (one round trip; each count an index range)."""
    open_items = select(QueueItem.id).where(
        QueueItem.unit_id == unit_id, QueueItem.status.in_(OPEN_STATUSES)
    )
    columns: list[ColumnElement[int]] = []
    for tier in TIERS:
        in_tier = open_items.where(QueueItem.tier == tier)
        columns.append(_count_below(in_tier, COUNT_CAP).scalar_subquery())
        columns.append(
            _count_below(in_tier.where(QueueItem.due_at < now), COUNT_CAP).scalar_subquery()
        )
    values = session.execute(select(*columns)).one()
    return {
        tier: {
            "open": _capped(int(values[2 * n] or 0), COUNT_CAP),
            "overdue": _capped(int(values[2 * n + 1] or 0), COUNT_CAP),
        }
        for n, tier in enumerate(TIERS)
    }


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
