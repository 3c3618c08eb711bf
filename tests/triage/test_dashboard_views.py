"""The dashboard page and its CSV: the hand-computed figures on screen and in the file, the
unit boundary, empty ranges, bad dates, formula injection, refusals and the audit trail."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.triage import dashboard_data as data
from tests.triage.conftest import other_unit
from tests.triage.helpers import PASSWORD, login
from tipline.db import transaction
from triage.models import AuditEvent, Officer, default_unit
from triage.officers import add_officer

RANGE = "from=2030-01-07&to=2030-01-28"
FIGURE = re.compile(r'data-figure="([^"]+)">(.*?)<', re.S)


@pytest.fixture
def supervisor(app: Flask, sessions) -> FlaskClient:
    """A logged-in supervisor of the default unit, whose app thinks it is ``data.NOW``."""
    app.extensions["triage"].clock = lambda: data.NOW
    with transaction(sessions) as session:
        add_officer(session, "sam", PASSWORD, "supervisor", memory_kib=64).unit_id = default_unit(
            session
        ).id
    client = app.test_client()
    assert login(client, "sam").status_code == 302
    return client


def officer_id(sessions, username: str) -> int:
    with sessions() as session:
        return session.scalars(select(Officer.id).where(Officer.username == username)).one()


def figures_on(page: str) -> dict[str, str]:
    return {key: html.unescape(value.strip()) for key, value in FIGURE.findall(page)}


def csv_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def figure(rows: list[dict[str, str]], section: str, measure: str, **dims: str) -> str:
    found = [
        row["value"]
        for row in rows
        if row["section"] == section
        and row["measure"] == measure
        and all(row[column] == dims.get(column, "") for column in dims.keys() | _dims())
    ]
    assert len(found) == 1, (section, measure, dims, found)
    return found[0]


def _dims() -> set[str]:
    return {"week", "tier", "category", "channel", "disposition", "reason"}


def test_the_page_shows_the_hand_computed_figures(supervisor, sessions) -> None:
    data.known_set(sessions)
    response = supervisor.get(f"/dashboard?{RANGE}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = figures_on(page)
    assert shown["summary reports"] == "17"
    assert (shown["range from"], shown["range to"]) == ("2030-01-07", "2030-01-28")
    for week, counts in data.BY_TIER.items():
        for tier, count in zip(("P1", "P2", "P3", "P4"), counts, strict=True):
            assert shown[f"reports_by_tier {week.isoformat()} {tier}"] == str(count)
    assert [shown[f"reports_by_tier total {t}"] for t in ("P1", "P2", "P3", "P4")] == [
        "4",
        "4",
        "5",
        "4",
    ]
    assert shown["reports_by_tier 2030-01-14 total"] == "6"
    assert shown["reports_by_category 2030-01-21 bullying"] == "2"
    assert shown["reports_by_category total weapons"] == "1"
    assert shown["reports_by_channel 2030-01-21 report:phone"] == "1"
    assert shown["reports_by_channel total referral:web"] == "3"
    assert "Web report" in page and "Referral" in page and "Phone report" in page
    # Durations as an officer reads them: 20 min, 16 h 40 min, 4 d 4 h...
    assert [shown[f"time_to_first_review P1 {m}"] for m in ("count", "median", "p90")] == [
        "4",
        "20 min",
        "40 min",
    ]
    assert shown["time_to_first_review P3 median"] == "16 h 40 min"  # 1000 min
    assert shown["time_to_first_review P4 p90"] == "3 d 11 h"  # 5000 min = 83 h 20 min
    assert shown["time_to_first_review P2 waiting"] == "1"
    assert shown["time_to_disposition P4 p90"] == "4 d 4 h"  # 6000 min
    assert shown["time_to_disposition P3 waiting"] == "2"
    assert [shown[f"sla P4 {m}"] for m in ("met", "missed", "percent", "not_yet_due")] == [
        "2",
        "1",
        "66.7%",
        "1",
    ]
    assert shown["sla P2 percent"] == "50%"
    assert shown["dispositions no_further_action"] == "6"
    assert shown["dispositions decided"] == "13"
    assert shown["dispositions not_decided"] == "4"
    assert shown["reasons unfounded"] == "3"
    assert shown["reasons prank"] == "1"
    assert shown["unfounded percent"] == "23.1%"
    # Charts drawn on the server, with a title, and no inline style or script.
    assert page.count('<svg class="chart"') == 4
    assert "<title>2030-W03, P2: 2</title>" in page
    assert "style=" not in page and "<script" not in page
    assert 'href="/dashboard.csv?from=2030-01-07&amp;to=2030-01-28"' in page


def test_the_csv_holds_the_same_figures(supervisor, sessions) -> None:
    data.known_set(sessions)
    response = supervisor.get(f"/dashboard.csv?{RANGE}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=tipline-dashboard-default-2030-01-07-2030-01-28.csv"
    )
    rows = csv_of(response)
    assert list(rows[0]) == [
        "section",
        "week",
        "tier",
        "category",
        "channel",
        "disposition",
        "reason",
        "measure",
        "value",
    ]
    assert figure(rows, "summary", "reports") == "17"
    assert figure(rows, "range", "from") == "2030-01-07"
    assert figure(rows, "range", "to_not_included") == "2030-01-28"
    for week, counts in data.BY_TIER.items():
        for tier, count in zip(("P1", "P2", "P3", "P4"), counts, strict=True):
            assert figure(rows, "reports_by_tier", "reports", week=week.isoformat(), tier=tier) == (
                str(count)
            )
    assert figure(rows, "reports_by_tier", "reports", tier="P3") == "5"
    assert figure(rows, "reports_by_tier", "reports") == "17"
    for week, counts in data.BY_CATEGORY.items():
        assert figure(
            rows,
            "reports_by_category",
            "reports",
            week=week.isoformat(),
            category="Bullying or harassment",
        ) == str(counts["bullying"])
    assert figure(rows, "reports_by_channel", "reports", channel="Web report") == "13"
    assert figure(rows, "reports_by_channel", "reports", channel="Referral") == "3"
    assert figure(rows, "reports_by_channel", "reports", channel="Phone report") == "1"
    for section, expected in (
        ("time_to_first_review", data.TO_REVIEW),
        ("time_to_disposition", data.TO_DECISION),
    ):
        done, waiting = (
            ("reviewed", "still_waiting")
            if section == "time_to_first_review"
            else ("decided", "not_decided")
        )
        for tier, (count, median, p90, left) in expected.items():
            assert figure(rows, section, done, tier=tier) == str(count)
            assert figure(rows, section, "median_minutes", tier=tier) == str(median)
            assert figure(rows, section, "p90_minutes", tier=tier) == str(p90)
            assert figure(rows, section, waiting, tier=tier) == str(left)
    for tier, (met, missed, pending, share) in data.SLA.items():
        assert figure(rows, "sla", "met", tier=tier) == str(met)
        assert figure(rows, "sla", "missed", tier=tier) == str(missed)
        assert figure(rows, "sla", "not_yet_due", tier=tier) == str(pending)
        assert float(figure(rows, "sla", "compliance_percent", tier=tier)) == round(share, 1)
    assert figure(rows, "dispositions", "items", disposition="Emergency response") == "3"
    assert figure(rows, "dispositions", "items", disposition="No further action") == "6"
    assert figure(rows, "dispositions", "decided") == "13"
    assert figure(rows, "dispositions", "not_decided") == "4"
    nfa = {"disposition": "No further action"}
    assert figure(rows, "no_further_action_reasons", "items", reason="Unfounded", **nfa) == "3"
    assert figure(rows, "no_further_action_reasons", "items", reason="Duplicate", **nfa) == "1"
    assert figure(rows, "unfounded", "unfounded") == "3"
    assert figure(rows, "unfounded", "decided") == "13"
    assert figure(rows, "unfounded", "unfounded_percent") == "23.1"


def test_viewing_and_exporting_are_audited_with_the_range(supervisor, sessions) -> None:
    assert supervisor.get(f"/dashboard?{RANGE}").status_code == 200
    assert supervisor.get(f"/dashboard.csv?{RANGE}").status_code == 200
    with sessions() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("dashboard-viewed", "dashboard-exported")))
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.officer_id, e.item_id, e.detail, e.at) for e in events] == [
            (
                action,
                officer_id(sessions, "sam"),
                None,
                {"from": "2030-01-07", "to": "2030-01-28"},
                data.NOW,
            )
            for action in ("dashboard-viewed", "dashboard-exported")
        ]


def test_another_units_items_never_count(app, supervisor, sessions) -> None:
    data.known_set(sessions)
    with transaction(sessions) as session:
        north = other_unit(session, "north").id
        add_officer(session, "nina", PASSWORD, "supervisor", memory_kib=64).unit_id = north
    shown = figures_on(supervisor.get(f"/dashboard?{RANGE}").get_data(as_text=True))
    assert shown["summary reports"] == "17"
    assert shown["reports_by_tier 2030-01-07 P1"] == "2"  # north's P1 of Jan 8 is not here
    nina = app.test_client()
    assert login(nina, "nina").status_code == 302
    shown = figures_on(nina.get(f"/dashboard?{RANGE}").get_data(as_text=True))
    assert shown["summary reports"] == "1"
    assert shown["reasons unfounded"] == "1"
    rows = csv_of(nina.get(f"/dashboard.csv?{RANGE}"))
    assert figure(rows, "summary", "reports") == "1"
    assert (
        nina.get(f"/dashboard.csv?{RANGE}")
        .headers["Content-Disposition"]
        .endswith("filename=tipline-dashboard-north-2030-01-07-2030-01-28.csv")
    )


def test_an_empty_range_shows_zeros_and_no_data(supervisor, sessions) -> None:
    data.known_set(sessions)
    response = supervisor.get("/dashboard?from=2031-03-03&to=2031-03-17")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = figures_on(page)
    assert shown["summary reports"] == "0"
    assert shown["reports_by_tier 2031-03-10 P1"] == "0"
    assert shown["time_to_first_review P1 median"] == "No data"
    assert shown["sla P1 percent"] == "No data"
    assert shown["unfounded percent"] == "No data"
    assert "No data: the unit received nothing in this range." in page
    assert page.count(">No data</text>") == 4  # every chart says so
    rows = csv_of(supervisor.get("/dashboard.csv?from=2031-03-03&to=2031-03-17"))
    assert figure(rows, "summary", "reports") == "0"
    assert figure(rows, "time_to_first_review", "median_minutes", tier="P1") == ""
    assert figure(rows, "unfounded", "unfounded_percent") == ""


def test_the_default_range_is_the_last_twelve_weeks(supervisor, sessions) -> None:
    data.known_set(sessions)
    shown = figures_on(supervisor.get("/dashboard").get_data(as_text=True))
    assert (shown["range from"], shown["range to"]) == ("2029-11-05", "2030-01-28")
    assert shown["summary reports"] == "18"  # the 17, and the one of Sunday Jan 6
    assert len([k for k in shown if k.startswith("reports_by_tier 20") and k.endswith(" P1")]) == 12


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2030-02-30&to=2030-03-01", "From: write the date as YYYY-MM-DD"),
        ("from=2030-01-28&to=2030-01-07", "The end date must be after the start date."),
        ("from=2027-01-01&to=2030-01-01", "Choose at most 731 days"),
    ],
)
def test_bad_dates_get_a_clear_error_and_the_defaults(supervisor, sessions, query, message) -> None:
    data.known_set(sessions)
    response = supervisor.get(f"/dashboard?{query}")
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert message in page and "Showing the last 12 weeks instead." in page
    shown = figures_on(response.get_data(as_text=True))
    assert (shown["range from"], shown["range to"]) == ("2029-11-05", "2030-01-28")
    assert shown["summary reports"] == "18"
    typed_from = query.split("&")[0].removeprefix("from=")
    assert f'name="from" value="{typed_from}"' in page  # what was typed is kept in the form
    export = supervisor.get(f"/dashboard.csv?{query}")
    assert export.status_code == 400
    assert export.mimetype == "text/html"
    assert message in html.unescape(export.get_data(as_text=True))
    with sessions() as session:
        exported = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dashboard-exported")
        ).all()
        assert exported == []  # nothing was exported


def test_labels_that_look_like_formulas_are_defused_in_the_csv(supervisor, sessions) -> None:
    with transaction(sessions) as session:
        unit_id = default_unit(session).id
        officer = data.officer_of(session, unit_id, "formula")
        for category in ('=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "plain"):
            data.add(session, unit_id, officer, data.at("01-08 09:00"), "P4", category)
    response = supervisor.get(f"/dashboard.csv?{RANGE}")
    categories = {row["category"] for row in csv_of(response)} - {""}
    assert {c for c in categories if c[0] in "=+-@"} == set()
    assert {'\'=HYPERLINK("http://x")', "'+1+2", "'-3", "'@SUM(A1)", "plain"} <= categories
    page = supervisor.get(f"/dashboard?{RANGE}").get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://x&#34;)" in page or "=HYPERLINK(&quot;http://x&quot;)" in page


def test_officers_are_refused_and_the_refusal_is_audited(logged_in, sessions) -> None:
    assert logged_in.get("/dashboard").status_code == 403
    assert logged_in.get(f"/dashboard.csv?{RANGE}").status_code == 403
    assert "Dashboard" not in logged_in.get("/queue").get_data(as_text=True)
    with sessions() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        denied = [e.detail for e in events if e.action == "access-denied"]
        assert denied == [
            {"endpoint": "dashboard.index", "reason": "role"},
            {"endpoint": "dashboard.export", "reason": "role"},
        ]
        assert not [e for e in events if e.action.startswith("dashboard-")]


def test_supervisors_find_the_dashboard_in_the_menu(supervisor) -> None:
    assert 'href="/dashboard">Dashboard</a>' in supervisor.get("/queue").get_data(as_text=True)
