"""The supervisor's dashboard: figures about a unit's reports over a date range.

Every figure is about the items (reports and referrals) the unit *received* in the range
[start, end), UTC; ``docs/dashboard.md`` defines each one exactly. Counts are aggregated in SQL;
percentiles are computed in Python over at most ``MAX_DAYS`` of items (nearest-rank method).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from tipline.report_schema import CATEGORIES
from triage.models import DISPOSITIONS, TIERS, Decision, QueueItem

DEFAULT_WEEKS = 12
MAX_DAYS = 731  # two years: keeps the per-item work (percentiles) bounded
NO_FURTHER_ACTION = "no_further_action"
UNFOUNDED = "unfounded"
NOT_RECORDED = "not_recorded"  # a no-further-action item whose latest decision has no reason

# The dashboard's own labels (the Decision.detail schema is shared with the workflow).
DISPOSITION_LABELS: dict[str, str] = {
    "emergency_response": "Emergency response",
    "open_case": "Threat assessment case opened",
    "refer_partner": "Referred to a partner",
    "monitor": "Monitor",
    "no_further_action": "No further action",
}
REASON_LABELS: dict[str, str] = {
    "unfounded": "Unfounded",
    "out_of_scope": "Out of scope",
    "duplicate": "Duplicate",
    "prank": "Prank or false report",
    NOT_RECORDED: "Reason not recorded",
}
KNOWN_CHANNELS = ("report:web", "referral:web")


class RangeError(ValueError):
    """A date range the dashboard cannot use; the message says why, in plain words."""


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days from ``start`` (included) to ``end`` (not included)."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(), UTC)

    def weeks(self) -> list[date]:
        """The Monday of every ISO week the range touches, in order."""
        monday = week_of(self.start)
        weeks = []
        while monday < self.end:
            weeks.append(monday)
            monday += timedelta(weeks=1)
        return weeks


def week_of(day: date) -> date:
    """The Monday starting the ISO week of ``day``."""
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    """``2030-W02``"""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def default_range(today: date) -> DateRange:
    """The last ``DEFAULT_WEEKS`` ISO weeks, the current one included."""
    end = week_of(today) + timedelta(weeks=1)
    return DateRange(end - timedelta(weeks=DEFAULT_WEEKS), end)


def parse_range(start: str | None, end: str | None, today: date) -> DateRange:
    """The range from the form's ``from`` and ``to`` (``YYYY-MM-DD``; empty: the default).

    Raises ``RangeError`` with a message for the supervisor."""
    default = default_range(today)
    first = _parse_day(start, "From") or default.start
    last = _parse_day(end, "To") or default.end
    if last <= first:
        raise RangeError("The end date must be after the start date.")
    if (last - first).days > MAX_DAYS:
        raise RangeError(f"Choose at most {MAX_DAYS} days (two years) at a time.")
    return DateRange(first, last)


def _parse_day(value: str | None, name: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RangeError(f"{name}: write the date as YYYY-MM-DD, for example 2030-01-06.") from None
    if len(value) != 10 or day.year < 2000:
        raise RangeError(f"{name}: write the date as YYYY-MM-DD, for example 2030-01-06.")
    return day


def nearest_rank(values: Sequence[float], percent: int) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``percent``% of the values
    at or below it, i.e. the ``ceil(percent * n / 100)``-th smallest (None for no values).
    Always a value that occurred; the median is ``nearest_rank(values, 50)``."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def channel_key(kind: str, channel: str) -> str:
    return f"{kind}:{channel}"


def channel_label(key: str) -> str:
    """``Web report``, ``Referral``, ``Phone report``, ``Referral (phone)``."""
    kind, _, channel = key.partition(":")
    if kind == "referral":
        return "Referral" if channel == "web" else f"Referral ({channel})"
    if kind == "report":
        return f"{channel.capitalize()} report"
    return f"{kind.capitalize()} ({channel})"


def category_label(key: str) -> str:
    return CATEGORIES.get(key, key)


@dataclass(frozen=True)
class WeeklyCounts:
    """Items per week and per key (a tier, a category or a channel)."""

    weeks: list[date]
    keys: list[str]
    counts: dict[tuple[date, str], int]

    def count(self, week: date, key: str) -> int:
        return self.counts.get((week, key), 0)

    def week_total(self, week: date) -> int:
        return sum(self.count(week, key) for key in self.keys)

    def key_total(self, key: str) -> int:
        return sum(self.count(week, key) for week in self.weeks)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Timing:
    """Seconds from receipt to an event, for one tier's items."""

    tier: str
    durations: int  # items with the event
    median: float | None  # seconds, nearest rank
    p90: float | None
    waiting: int  # items without the event yet (counted, not in the median)


@dataclass(frozen=True)
class Compliance:
    """One tier's items measured against their due time (first review by ``due_at``)."""

    tier: str
    met: int
    missed: int
    not_yet_due: int  # unreviewed and not due yet: excluded from the share

    @property
    def measured(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return 100.0 * self.met / self.measured if self.measured else None


@dataclass(frozen=True)
class Dispositions:
    counts: dict[str, int]  # per QueueItem.disposition, every known one (zeros included)
    undecided: int
    reasons: dict[str, int]  # no further action: per reason of the item's latest decision

    @property
    def decided(self) -> int:
        return sum(self.counts.values())

    @property
    def unfounded(self) -> int:
        return self.reasons.get(UNFOUNDED, 0)

    @property
    def unfounded_percent(self) -> float | None:
        return 100.0 * self.unfounded / self.decided if self.decided else None


@dataclass(frozen=True)
class Dashboard:
    unit_id: int
    range: DateRange
    now: datetime
    by_tier: WeeklyCounts
    by_category: WeeklyCounts
    by_channel: WeeklyCounts
    to_review: list[Timing]
    to_decision: list[Timing]
    sla: list[Compliance]
    dispositions: Dispositions

    @property
    def total(self) -> int:
        return self.by_tier.total


def build(session: Session, unit_id: int, span: DateRange, now: datetime) -> Dashboard:
    """Every figure of the dashboard for one unit and range (``now``: for SLA "not yet due")."""
    by_tier, by_category, by_channel = weekly_counts(session, unit_id, span)
    to_review, to_decision = timings(session, unit_id, span)
    return Dashboard(
        unit_id=unit_id,
        range=span,
        now=now,
        by_tier=by_tier,
        by_category=by_category,
        by_channel=by_channel,
        to_review=to_review,
        to_decision=to_decision,
        sla=sla_compliance(session, unit_id, span, now),
        dispositions=dispositions(session, unit_id, span),
    )


def _in_range(unit_id: int, span: DateRange) -> tuple[ColumnElement[bool], ...]:
    return (
        QueueItem.unit_id == unit_id,
        QueueItem.received_at >= span.start_at,
        QueueItem.received_at < span.end_at,
    )


def _week_start(session: Session) -> ColumnElement[Any]:
    """The Monday (UTC) of an item's receipt, in SQL. Constants are literal so that the same
    expression can be grouped by on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), QueueItem.received_at)
        return func.date_trunc(literal_column("'week'"), utc)
    # SQLite keeps naive UTC text; go back six days, then forward to the next Monday.
    return func.date(
        QueueItem.received_at, literal_column("'-6 days'"), literal_column("'weekday 1'")
    )


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def weekly_counts(
    session: Session, unit_id: int, span: DateRange
) -> tuple[WeeklyCounts, WeeklyCounts, WeeklyCounts]:
    """Items per week by tier, by category and by channel (one grouped query)."""
    week = _week_start(session)
    rows = session.execute(
        select(
            week,
            QueueItem.tier,
            QueueItem.category,
            QueueItem.kind,
            QueueItem.channel,
            func.count(),
        )
        .where(*_in_range(unit_id, span))
        .group_by(week, QueueItem.tier, QueueItem.category, QueueItem.kind, QueueItem.channel)
    ).all()
    tiers: dict[tuple[date, str], int] = {}
    categories: dict[tuple[date, str], int] = {}
    channels: dict[tuple[date, str], int] = {}
    for raw_week, tier, category, kind, channel, count in rows:
        monday = _as_date(raw_week)
        for counts, key in (
            (tiers, tier),
            (categories, category),
            (channels, channel_key(kind, channel)),
        ):
            counts[(monday, key)] = counts.get((monday, key), 0) + count
    weeks = span.weeks()
    return (
        WeeklyCounts(weeks, _keys(TIERS, (key for _, key in tiers)), tiers),
        WeeklyCounts(weeks, _keys(CATEGORIES, (key for _, key in categories)), categories),
        WeeklyCounts(weeks, _keys(KNOWN_CHANNELS, (key for _, key in channels)), channels),
    )


def _keys(known: Iterable[str], found: Iterable[str]) -> list[str]:
    """The known keys in their order, then any other key that occurs, sorted."""
    keys = list(known)
    return keys + sorted(set(found) - set(keys))


def timings(session: Session, unit_id: int, span: DateRange) -> tuple[list[Timing], list[Timing]]:
    """Per tier: receipt to first review, and receipt to disposition (``decided_at``)."""
    rows = session.execute(
        select(
            QueueItem.tier, QueueItem.received_at, QueueItem.first_reviewed_at, QueueItem.decided_at
        ).where(*_in_range(unit_id, span))
    ).all()
    reviewed: dict[str, list[float]] = {tier: [] for tier in TIERS}
    decided: dict[str, list[float]] = {tier: [] for tier in TIERS}
    unreviewed = dict.fromkeys(TIERS, 0)
    undecided = dict.fromkeys(TIERS, 0)
    for tier, received, first_review, decision in rows:
        for moment, durations, waiting in (
            (first_review, reviewed, unreviewed),
            (decision, decided, undecided),
        ):
            if moment is None:
                waiting[tier] = waiting.get(tier, 0) + 1
            else:
                durations.setdefault(tier, []).append(max(0.0, (moment - received).total_seconds()))

    def per_tier(durations: dict[str, list[float]], waiting: dict[str, int]) -> list[Timing]:
        return [
            Timing(
                tier,
                len(durations.get(tier, [])),
                nearest_rank(durations.get(tier, []), 50),
                nearest_rank(durations.get(tier, []), 90),
                waiting.get(tier, 0),
            )
            for tier in _keys(TIERS, [*durations, *waiting])
        ]

    return per_tier(reviewed, unreviewed), per_tier(decided, undecided)


def sla_compliance(
    session: Session, unit_id: int, span: DateRange, now: datetime
) -> list[Compliance]:
    """Per tier: first reviewed by the due time (met), after it or not at all although due
    (missed), not reviewed and not due yet (excluded)."""
    reviewed_at = QueueItem.first_reviewed_at
    met = and_(reviewed_at.is_not(None), reviewed_at <= QueueItem.due_at)
    missed = or_(
        reviewed_at > QueueItem.due_at, and_(reviewed_at.is_(None), QueueItem.due_at < now)
    )
    pending = and_(reviewed_at.is_(None), QueueItem.due_at >= now)
    rows = session.execute(
        select(
            QueueItem.tier,
            func.count().filter(met),
            func.count().filter(missed),
            func.count().filter(pending),
        )
        .where(*_in_range(unit_id, span))
        .group_by(QueueItem.tier)
    ).all()
    found = {tier: (met_, missed_, pending_) for tier, met_, missed_, pending_ in rows}
    return [Compliance(tier, *found.get(tier, (0, 0, 0))) for tier in _keys(TIERS, found)]


def dispositions(session: Session, unit_id: int, span: DateRange) -> Dispositions:
    """Items per current disposition; for no further action, per reason of the latest decision."""
    rows = session.execute(
        select(QueueItem.disposition, func.count())
        .where(*_in_range(unit_id, span))
        .group_by(QueueItem.disposition)
    ).all()
    counts = dict.fromkeys(DISPOSITIONS, 0)
    undecided = 0
    for disposition, count in rows:
        if disposition is None:
            undecided += count
        else:
            counts[disposition] = counts.get(disposition, 0) + count
    no_action = select(QueueItem.id).where(
        *_in_range(unit_id, span), QueueItem.disposition == NO_FURTHER_ACTION
    )
    latest: dict[int, str] = {}
    decisions = session.execute(
        select(Decision.item_id, Decision.disposition, Decision.detail)
        .where(Decision.item_id.in_(no_action))
        .order_by(Decision.item_id, Decision.at, Decision.id)
    )
    for item_id, disposition, detail in decisions:
        reason = (detail or {}).get("reason") if disposition == NO_FURTHER_ACTION else None
        latest[item_id] = reason if isinstance(reason, str) and reason else NOT_RECORDED
    reasons = {reason: 0 for reason in REASON_LABELS if reason != NOT_RECORDED}
    for reason in latest.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    unexplained = counts.get(NO_FURTHER_ACTION, 0) - len(latest)  # no decision row at all
    if unexplained > 0:
        reasons[NOT_RECORDED] = reasons.get(NOT_RECORDED, 0) + unexplained
    return Dispositions(counts=counts, undecided=undecided, reasons=reasons)
