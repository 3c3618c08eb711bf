"""Dashboard figures, checked against a fixed set of items computed by hand
(``tests/triage/dashboard_data.py``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.triage import dashboard_data as data
from tests.triage.conftest import other_unit
from tipline.db import transaction
from triage import dashboard
from triage.dashboard import DateRange, RangeError, nearest_rank, parse_range
from triage.models import TIERS, default_unit


@pytest.fixture
def figures(sessions) -> dashboard.Dashboard:
    unit_id = data.known_set(sessions)
    with sessions() as session:
        return dashboard.build(session, unit_id, data.RANGE, data.NOW)


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def test_reports_per_week_by_tier_category_and_channel(figures) -> None:
    assert figures.by_tier.weeks == data.WEEKS
    assert figures.total == 17
    for week, counts in data.BY_TIER.items():
        assert tuple(figures.by_tier.count(week, tier) for tier in TIERS) == counts
    assert [figures.by_tier.key_total(tier) for tier in TIERS] == [4, 4, 5, 4]
    assert [figures.by_tier.week_total(week) for week in data.WEEKS] == [5, 6, 6]
    for week, counts in data.BY_CATEGORY.items():
        assert {
            key: figures.by_category.count(week, key)
            for key in figures.by_category.keys
            if figures.by_category.count(week, key)
        } == counts
    assert figures.by_category.key_total("bullying") == 5
    assert figures.by_category.key_total("weapons") == 1
    for week, counts in data.BY_CHANNEL.items():
        assert {
            key: figures.by_channel.count(week, key)
            for key in figures.by_channel.keys
            if figures.by_channel.count(week, key)
        } == counts
    assert figures.by_channel.keys == ["report:web", "referral:web", "report:phone"]
    assert [dashboard.channel_label(k) for k in figures.by_channel.keys] == [
        "Web report",
        "Referral",
        "Phone report",
    ]
    assert [figures.by_channel.key_total(k) for k in figures.by_channel.keys] == [13, 3, 1]


def test_time_to_first_review_and_to_disposition_per_tier(figures) -> None:
    assert {
        t.tier: (t.durations, minutes(t.median), minutes(t.p90), t.waiting)
        for t in figures.to_review
    } == data.TO_REVIEW
    assert {
        t.tier: (t.durations, minutes(t.median), minutes(t.p90), t.waiting)
        for t in figures.to_decision
    } == data.TO_DECISION


def test_sla_compliance_per_tier(figures) -> None:
    assert {
        c.tier: (c.met, c.missed, c.not_yet_due, pytest.approx(c.percent)) for c in figures.sla
    } == data.SLA


def test_a_late_review_of_a_pending_item_turns_it_into_a_miss(sessions) -> None:
    """The same item is "not yet due" before its due time, "missed" after it."""
    unit_id = data.known_set(sessions)
    later = data.NOW + timedelta(days=3)  # #14 and #15 are both past due by then
    with sessions() as session:
        sla = {c.tier: c for c in dashboard.sla_compliance(session, unit_id, data.RANGE, later)}
    assert (sla["P3"].met, sla["P3"].missed, sla["P3"].not_yet_due) == (3, 2, 0)
    assert (sla["P4"].met, sla["P4"].missed, sla["P4"].not_yet_due) == (2, 2, 0)


def test_dispositions_reasons_and_unfounded_share(figures) -> None:
    found = figures.dispositions
    assert found.counts == data.DISPOSITIONS
    assert found.undecided == data.UNDECIDED
    assert found.decided == data.DECIDED
    # The latest decision counts: #7 was unfounded then monitored, #9 the other way round.
    assert found.reasons == data.REASONS
    assert found.unfounded == 3
    assert found.unfounded_percent == pytest.approx(data.UNFOUNDED_PERCENT)


def test_another_units_items_never_count(sessions) -> None:
    data.known_set(sessions)
    with sessions() as session:
        north = dashboard.build(session, other_unit(session, "north").id, data.RANGE, data.NOW)
    assert north.total == 1
    assert north.by_tier.count(data.WEEKS[0], "P1") == 1
    assert north.dispositions.reasons["unfounded"] == 1
    assert north.dispositions.decided == 1


def test_an_empty_range_has_zeros_and_no_percentages(sessions) -> None:
    data.known_set(sessions)
    empty = DateRange(date(2031, 3, 3), date(2031, 3, 17))
    with sessions() as session:
        figures = dashboard.build(session, default_unit(session).id, empty, data.NOW)
    assert figures.total == 0
    assert figures.by_tier.weeks == [date(2031, 3, 3), date(2031, 3, 10)]
    assert all(figures.by_tier.week_total(week) == 0 for week in figures.by_tier.weeks)
    assert [(t.tier, t.durations, t.median, t.p90, t.waiting) for t in figures.to_review] == [
        (tier, 0, None, None, 0) for tier in TIERS
    ]
    assert [c.percent for c in figures.sla] == [None] * 4
    assert figures.dispositions.decided == 0
    assert figures.dispositions.unfounded_percent is None


def test_a_no_further_action_without_a_reason_is_counted_as_not_recorded(sessions) -> None:
    with transaction(sessions) as session:
        unit_id = default_unit(session).id
        officer = data.officer_of(session, unit_id, "nobody")
        data.add(
            session,
            unit_id,
            officer,
            data.at("01-08 09:00"),
            "P3",
            review=5,
            decide=10,
            decisions=[("no_further_action", None)],
        )
    with sessions() as session:
        found = dashboard.dispositions(session, unit_id, data.RANGE)
    assert found.reasons["not_recorded"] == 1
    assert found.unfounded_percent == 0.0


def test_weeks_start_on_monday_utc(sessions) -> None:
    """Sunday 23:59 belongs to the week before; Monday 00:00 starts a new one."""
    with transaction(sessions) as session:
        unit_id = default_unit(session).id
        officer = data.officer_of(session, unit_id, "weeks")
        data.add(session, unit_id, officer, data.at("01-13 23:59"), "P4")
        data.add(session, unit_id, officer, data.at("01-14 00:00"), "P4")
    with sessions() as session:
        by_tier, _, _ = dashboard.weekly_counts(session, unit_id, data.RANGE)
    assert [by_tier.count(week, "P4") for week in data.WEEKS] == [1, 1, 0]


def test_nearest_rank_percentiles() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([7], 90) == 7
    values = list(range(1, 11))  # 1..10
    assert nearest_rank(values, 50) == 5  # ceil(5.0) = 5th
    assert nearest_rank(values, 90) == 9  # ceil(9.0) = 9th
    assert nearest_rank(list(range(1, 12)), 90) == 10  # ceil(9.9) = 10th of 11
    assert nearest_rank([40, 5, 30, 20], 50) == 20  # unsorted input
    assert nearest_rank([3, 1, 2], 50) == 2


def test_the_default_range_is_the_last_twelve_iso_weeks() -> None:
    span = dashboard.default_range(date(2030, 1, 25))  # a Friday
    assert (span.start, span.end) == (date(2029, 11, 5), date(2030, 1, 28))
    assert len(span.weeks()) == 12
    assert dashboard.week_label(span.weeks()[-1]) == "2030-W04"


def test_parse_range() -> None:
    today = date(2030, 1, 25)
    assert parse_range("2030-01-07", "2030-01-28", today) == data.RANGE
    assert parse_range("", None, today) == dashboard.default_range(today)
    assert parse_range("2029-12-01", "", today).end == date(2030, 1, 28)
    for start, end, message in (
        ("2030-13-01", "", "From: write the date as YYYY-MM-DD"),
        ("07/01/2030", "", "From: write the date as YYYY-MM-DD"),
        ("", "tomorrow", "To: write the date as YYYY-MM-DD"),
        ("2030-01-28", "2030-01-07", "The end date must be after the start date."),
        ("2030-01-07", "2030-01-07", "The end date must be after the start date."),
        ("2020-01-01", "2030-01-01", "at most 731 days"),
    ):
        with pytest.raises(RangeError, match=message):
            parse_range(start, end, today)
