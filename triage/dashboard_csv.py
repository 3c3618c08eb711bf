"""The dashboard as one tidy CSV: one figure per row, every figure the page shows.

Columns: ``section, week, tier, category, channel, disposition, reason, measure, value``. An
empty dimension means "all" (a week's total, the range's total). Weeks are the Monday of the
ISO week (``YYYY-MM-DD``); durations are minutes with one decimal; percentages have one
decimal; a figure without data (a median of no items) is empty. Every cell that a spreadsheet
could take for a formula (starting with ``= + - @``, a tab or a carriage return) is prefixed
with ``'``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator

from triage.charts import number
from triage.dashboard import (
    DISPOSITION_LABELS,
    NO_FURTHER_ACTION,
    REASON_LABELS,
    Dashboard,
    Timing,
    WeeklyCounts,
    category_label,
    channel_label,
)

COLUMNS = ("section", "week", "tier", "category", "channel", "disposition", "reason", "measure")
HEADER = (*COLUMNS, "value")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def value(figure: float | None) -> str:
    return "" if figure is None else number(figure)


def minutes(seconds: float | None) -> str:
    return "" if seconds is None else number(seconds / 60)


def rows(figures: Dashboard) -> Iterator[dict[str, str]]:
    """Every figure of the dashboard as ``{column: text}`` (unguarded)."""
    span = figures.range
    yield _row("range", "from", span.start.isoformat())
    yield _row("range", "to_not_included", span.end.isoformat())
    yield _row("summary", "reports", str(figures.total))
    for section, column, counts, label in (
        ("reports_by_tier", "tier", figures.by_tier, str),
        ("reports_by_category", "category", figures.by_category, category_label),
        ("reports_by_channel", "channel", figures.by_channel, channel_label),
    ):
        yield from _weekly(section, column, counts, label)
    for section, done, waiting, timings in (
        ("time_to_first_review", "reviewed", "still_waiting", figures.to_review),
        ("time_to_disposition", "decided", "not_decided", figures.to_decision),
    ):
        for timing in timings:
            yield from _timing(section, done, waiting, timing)
    for sla in figures.sla:
        yield _row("sla", "met", str(sla.met), tier=sla.tier)
        yield _row("sla", "missed", str(sla.missed), tier=sla.tier)
        yield _row("sla", "not_yet_due", str(sla.not_yet_due), tier=sla.tier)
        yield _row("sla", "compliance_percent", value(sla.percent), tier=sla.tier)
    found = figures.dispositions
    for disposition, count in found.counts.items():
        label = DISPOSITION_LABELS.get(disposition, disposition)
        yield _row("dispositions", "items", str(count), disposition=label)
    yield _row("dispositions", "decided", str(found.decided))
    yield _row("dispositions", "not_decided", str(found.undecided))
    for reason, count in found.reasons.items():
        yield _row(
            "no_further_action_reasons",
            "items",
            str(count),
            disposition=DISPOSITION_LABELS[NO_FURTHER_ACTION],
            reason=REASON_LABELS.get(reason, reason),
        )
    yield _row("unfounded", "decided", str(found.decided))
    yield _row("unfounded", "unfounded", str(found.unfounded))
    yield _row("unfounded", "unfounded_percent", value(found.unfounded_percent))


def _row(section: str, measure: str, figure: str, **dimensions: str) -> dict[str, str]:
    return (
        dict.fromkeys(COLUMNS, "")
        | dimensions
        | {
            "section": section,
            "measure": measure,
            "value": figure,
        }
    )


def _weekly(
    section: str, column: str, counts: WeeklyCounts, label: Callable[[str], str]
) -> Iterator[dict[str, str]]:
    for week in counts.weeks:
        for key in counts.keys:
            count = str(counts.count(week, key))
            yield _row(section, "reports", count, week=week.isoformat(), **{column: label(key)})
        yield _row(section, "reports", str(counts.week_total(week)), week=week.isoformat())
    for key in counts.keys:
        yield _row(section, "reports", str(counts.key_total(key)), **{column: label(key)})
    yield _row(section, "reports", str(counts.total))


def _timing(section: str, done: str, waiting: str, timing: Timing) -> Iterator[dict[str, str]]:
    yield _row(section, done, str(timing.durations), tier=timing.tier)
    yield _row(section, "median_minutes", minutes(timing.median), tier=timing.tier)
    yield _row(section, "p90_minutes", minutes(timing.p90), tier=timing.tier)
    yield _row(section, waiting, str(timing.waiting), tier=timing.tier)


def to_csv(figures: Dashboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for one in rows(figures):
        writer.writerow([guard(one[column]) for column in HEADER])
    return out.getvalue()


def filename(unit_slug: str, figures: Dashboard) -> str:
    """``tipline-dashboard-<unit>-<from>-<to>.csv`` (the unit slug reduced to safe letters)."""
    unit = re.sub(r"[^A-Za-z0-9_-]", "-", unit_slug) or "unit"
    span = figures.range
    return f"tipline-dashboard-{unit}-{span.start.isoformat()}-{span.end.isoformat()}.csv"
