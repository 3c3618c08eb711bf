"""Reading the audit log for a supervisor: their unit's events, filtered, newest first, paged.

A unit's events are those about its items and those by its officers (membership and item
ownership as they are now). Events of the system that name no item (a dead letter) are not any
unit's and are not shown here; ``tipline audit verify`` covers the whole log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from triage.models import AuditEvent, Officer, QueueItem
from triage.queue import Page

PER_PAGE = 50
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class AuditFilters:
    officer: str = ""  # a username of the unit, "" = anyone (the system included)
    action: str = ""
    item: int | None = None
    start: date | None = None  # UTC days, both included
    end: date | None = None
    page: int = 1

    def query_args(self, **changes: object) -> dict[str, object]:
        """Arguments for a link to these filters with some changed (empty ones left out)."""
        values: dict[str, object] = {
            "officer": self.officer,
            "action": self.action,
            "item": self.item,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "page": self.page,
        } | changes
        return {k: v for k, v in values.items() if v not in ("", None, 1)}

    def as_detail(self) -> dict[str, object]:
        """What was asked for, for the ``audit-viewed`` event."""
        return {k: v for k, v in self.query_args().items()}


def parse_filters(args: Mapping[str, str]) -> tuple[AuditFilters, list[str]]:
    """Filters from a query string, and what could not be understood (those are ignored)."""
    errors: list[str] = []
    item: int | None = None
    raw_item = args.get("item", "").strip().lstrip("#")
    if raw_item:
        if raw_item.isdigit() and len(raw_item) < 10:
            item = int(raw_item)
        else:
            errors.append(f"Item number {raw_item[:20]!r} is not a number.")
    start = _date(args.get("from", ""), "From", errors)
    end = _date(args.get("to", ""), "To", errors)
    if start and end and end < start:
        errors.append("The end date is before the start date.")
        start = end = None
    raw_page = args.get("page", "")
    page = min(int(raw_page), MAX_PAGE) if raw_page.isdigit() and int(raw_page) > 0 else 1
    filters = AuditFilters(
        officer=args.get("officer", "").strip().lower()[:80],
        action=args.get("action", "").strip()[:40],
        item=item,
        start=start,
        end=end,
        page=page,
    )
    return filters, errors


def _date(raw: str, label: str, errors: list[str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label} date {raw[:20]!r} is not a date (YYYY-MM-DD).")
        return None


def _in_unit(unit_id: int) -> ColumnElement[bool]:
    return or_(
        AuditEvent.item_id.in_(select(QueueItem.id).where(QueueItem.unit_id == unit_id)),
        AuditEvent.officer_id.in_(select(Officer.id).where(Officer.unit_id == unit_id)),
    )


def unit_events(unit_id: int, filters: AuditFilters) -> Select[tuple[AuditEvent]]:
    query = select(AuditEvent).where(_in_unit(unit_id))
    if filters.officer:
        query = query.join(Officer, Officer.id == AuditEvent.officer_id).where(
            Officer.username == filters.officer
        )
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.item is not None:
        query = query.where(AuditEvent.item_id == filters.item)
    if filters.start:
        query = query.where(AuditEvent.at >= datetime.combine(filters.start, time(), UTC))
    if filters.end:
        end = datetime.combine(filters.end + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.at < end)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def events_page(session: Session, unit_id: int, filters: AuditFilters) -> Page[AuditEvent]:
    query = unit_events(unit_id, filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    number = min(filters.page, pages)
    rows = session.scalars(query.limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    return Page(rows=rows, number=number, total=total, per_page=PER_PAGE)


def unit_actions(session: Session, unit_id: int) -> list[str]:
    """The actions that occur in the unit's events, for the filter's choices."""
    query = select(AuditEvent.action).where(_in_unit(unit_id)).distinct()
    return sorted(session.scalars(query).all())


def unit_usernames(session: Session, unit_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Officer.username).where(Officer.unit_id == unit_id).order_by(Officer.username)
        )
    )


def usernames_by_id(session: Session, events: list[AuditEvent]) -> dict[int, str]:
    ids = {e.officer_id for e in events if e.officer_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Officer.id, Officer.username).where(Officer.id.in_(ids)))
    return {officer_id: username for officer_id, username in rows}


def own_items(session: Session, unit_id: int, events: list[AuditEvent]) -> set[int]:
    """The items named by ``events`` that belong to the unit. Another unit's item is shown
    without its number or detail: the unit's officer tried it, but nobody learns which item
    ids another unit holds."""
    ids = {e.item_id for e in events if e.item_id is not None}
    if not ids:
        return set()
    query = select(QueueItem.id).where(QueueItem.id.in_(ids), QueueItem.unit_id == unit_id)
    return set(session.scalars(query))
