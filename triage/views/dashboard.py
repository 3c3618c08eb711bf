"""The supervisor's dashboard of their unit, and the same figures as CSV. Both audited."""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request, url_for
from markupsafe import Markup

from triage import charts, dashboard_csv, policy
from triage.access import deny, login_required
from triage.audit import record
from triage.dashboard import (
    DISPOSITION_LABELS,
    NO_FURTHER_ACTION,
    REASON_LABELS,
    Dashboard,
    DateRange,
    RangeError,
    Timing,
    build,
    category_label,
    channel_label,
    default_range,
    parse_range,
    week_label,
)
from triage.web import db, web

bp = Blueprint("dashboard", __name__)

TIME_UNITS = ((120 * 60, 60, " min", "minutes"), (96 * 3600, 3600, " h", "hours"))
DAY = (86400, " d", "days")
NO_DATA = "No data"


def _allowed() -> None:
    if not policy.can_see_dashboard(g.officer):
        deny(403, "role")


def _range() -> tuple[DateRange, str | None]:
    """The range asked for, or the default one and what was wrong with the request."""
    today = web().clock().date()
    try:
        return parse_range(request.args.get("from"), request.args.get("to"), today), None
    except RangeError as error:
        return default_range(today), str(error)


def _audit(action: str, figures: Dashboard) -> None:
    record(
        db(),
        action,
        officer_id=g.officer.id,
        detail={"from": figures.range.start.isoformat(), "to": figures.range.end.isoformat()},
        at=web().clock(),
    )
    db().commit()


def _build(span: DateRange) -> Dashboard:
    return build(db(), policy.visible_unit_id(g.officer), span, web().clock())


@bp.get("/dashboard")
@login_required
def index() -> tuple[str, int]:
    _allowed()
    span, error = _range()
    figures = _build(span)
    _audit("dashboard-viewed", figures)
    typed = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    shown = {"from": span.start.isoformat(), "to": span.end.isoformat()}
    page = render_template(
        "triage/dashboard.html",
        figures=figures,
        error=error,
        form=typed if error else shown,
        csv_url=url_for("dashboard.export", **shown),
        charts=_charts(figures),
        tier_info=web().rules.tiers,
        week_label=week_label,
        category_label=category_label,
        channel_label=channel_label,
        disposition_labels=DISPOSITION_LABELS,
        reason_labels=REASON_LABELS,
        no_further_action=NO_FURTHER_ACTION,
        duration=duration,
        percent=percent,
    )
    return page, 400 if error else 200


@bp.get("/dashboard.csv")
@login_required
def export() -> Response | tuple[str, int]:
    _allowed()
    span, error = _range()
    if error:
        message = f"{error} Nothing was exported; correct the dates on the dashboard."
        return render_template(
            "triage/error.html", title="Dates not understood", message=message
        ), 400
    figures = _build(span)
    _audit("dashboard-exported", figures)
    name = dashboard_csv.filename(g.unit.slug, figures)
    return Response(
        dashboard_csv.to_csv(figures),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def duration(seconds: float | None) -> str:
    """``45 min``, ``16 h 40 min``, ``4 d 4 h``; "No data" when there is none."""
    if seconds is None:
        return NO_DATA
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def percent(value: float | None) -> str:
    return NO_DATA if value is None else f"{charts.number(value)}%"


def _time_scale(timings: list[Timing]) -> tuple[float, str, str]:
    """Divisor, suffix and name of the unit the chart's axis uses (minutes, hours or days)."""
    longest = max((t.p90 or 0 for t in timings), default=0)
    for limit, divisor, suffix, unit_name in TIME_UNITS:
        if longest < limit:
            return divisor, suffix, unit_name
    return DAY[0], DAY[1], DAY[2]


def _charts(figures: Dashboard) -> dict[str, Markup]:
    weeks = figures.by_tier.weeks
    tiers = figures.by_tier.keys
    weekly = charts.bar_chart(
        "chart-weekly",
        "Reports per week by tier",
        [week_label(week) for week in weeks],
        [charts.Series(tier, tier, f"s-{tier}") for tier in tiers],
        {
            (index, tier): figures.by_tier.count(week, tier)
            for index, week in enumerate(weeks)
            for tier in tiers
        },
        stacked=True,
        whole=True,
    )
    made = {"weekly": weekly}
    for key, title, timings in (
        ("review", "Time from receipt to first review, per tier", figures.to_review),
        ("decision", "Time from receipt to disposition, per tier", figures.to_decision),
    ):
        divisor, suffix, unit_name = _time_scale(timings)
        made[key] = charts.bar_chart(
            f"chart-{key}",
            f"{title} ({unit_name})",
            [t.tier for t in timings],
            [
                charts.Series("median", "Median", "s-median"),
                charts.Series("p90", "90th percentile", "s-p90"),
            ],
            {
                (index, measure): None if seconds is None else seconds / divisor
                for index, t in enumerate(timings)
                for measure, seconds in (("median", t.median), ("p90", t.p90))
            },
            unit=suffix,
        )
    made["sla"] = charts.bar_chart(
        "chart-sla",
        "First reviewed by the due time, per tier (%)",
        [c.tier for c in figures.sla],
        [charts.Series("met", "Reviewed on time", "s-sla")],
        {(index, "met"): c.percent for index, c in enumerate(figures.sla)},
        top=100,
        unit="%",
        no_data=all(c.percent is None for c in figures.sla),
    )
    return made
