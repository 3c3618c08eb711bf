"""Bar charts as inline SVG, drawn on the server (no JavaScript, no inline styles).

The page's CSP allows neither scripts nor ``style`` attributes, so colours come from classes
styled in ``triage.css`` and sizes from SVG presentation attributes. Every label and title is
escaped; class names and ids are restricted to ``[a-z0-9-]``. A chart is a picture of a table
that the page shows beside it: the numbers are the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 34, 46
MAX_X_LABELS = 13
_NAME = re.compile(r"[^a-z0-9-]")


@dataclass(frozen=True)
class Series:
    """One kind of bar: its key in the values, its label, and the CSS class that colours it."""

    key: str
    label: str
    css: str


def name(value: str) -> str:
    """A safe class name or id: lower case letters, digits and hyphens only."""
    return _NAME.sub("-", value.lower()) or "x"


def number(value: float) -> str:
    """``12``, ``12.5`` (one decimal at most)."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def nice_top(value: float, whole: bool = False) -> tuple[float, float]:
    """A round top for the axis at or above ``value`` and the step between its (at most five
    or so) ticks: steps of 1, 2, 2.5 or 5 times a power of ten; whole steps for counts."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 5
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(f * magnitude for f in (1, 2, 2.5, 5, 10) if f * magnitude >= rough)
    if whole:
        step = max(1.0, math.ceil(step))
    return step * math.ceil(value / step - 1e-9), step


def bar_chart(
    chart_id: str,
    title: str,
    groups: Sequence[str],
    series: Sequence[Series],
    values: Mapping[tuple[int, str], float | None],
    *,
    stacked: bool = False,
    top: float | None = None,
    unit: str = "",
    whole: bool = False,
    no_data: bool | None = None,
) -> Markup:
    """Bars per group (a week, a tier): one per series side by side, or stacked.

    ``values[(group index, series key)]``; None or missing draws nothing. ``top`` fixes the
    axis (100 for percentages); ``unit`` is appended to values in tooltips and on the axis;
    ``whole``: the values are counts (whole-number ticks). ``no_data`` writes "No data" across
    the chart (by default: when there is no bar at all).
    """
    chart_id = name(chart_id)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    heights = [
        sum(values.get((g, s.key)) or 0 for s in series)
        if stacked
        else max((values.get((g, s.key)) or 0 for s in series), default=0)
        for g in range(len(groups))
    ]
    if top is None:
        top, step = nice_top(max(heights, default=0), whole)
    else:
        _, step = nice_top(top, whole)
    parts = [
        Markup(
            '<svg class="chart" id="{0}" viewBox="0 0 {1} {2}" role="img"'
            ' aria-labelledby="{0}-title" width="{1}" height="{2}"'
            ' xmlns="http://www.w3.org/2000/svg"><title id="{0}-title">{3}</title>'
        ).format(chart_id, WIDTH, HEIGHT, title)
    ]
    parts += _legend(series)
    parts += _axis(top, step, plot_w, plot_h, unit)
    slot = plot_w / max(len(groups), 1)
    bar_w = slot * 0.7 if stacked else slot * 0.8 / max(len(series), 1)
    every = math.ceil(len(groups) / MAX_X_LABELS) if groups else 1
    for index, group in enumerate(groups):
        x0 = LEFT + index * slot + (slot - (bar_w if stacked else bar_w * len(series))) / 2
        base = 0.0
        for position, one in enumerate(series):
            value = values.get((index, one.key))
            if value is None or value <= 0:
                continue
            height = plot_h * value / top
            x = x0 if stacked else x0 + position * bar_w
            y = TOP + plot_h - height - (plot_h * base / top if stacked else 0)
            parts.append(
                Markup(
                    '<rect class="bar {}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}, {}: {}{}</title></rect>"
                ).format(
                    name(one.css),
                    _c(x),
                    _c(y),
                    _c(bar_w),
                    _c(height),
                    group,
                    one.label,
                    number(value),
                    unit,
                )
            )
            if stacked:
                base += value
            else:  # side by side: the value on top, as short bars are hard to read
                parts.append(
                    Markup(
                        '<text class="value" x="{}" y="{}" text-anchor="middle">{}{}</text>'
                    ).format(_c(x + bar_w / 2), _c(y - 3), number(value), unit)
                )
        if index % every == 0:
            parts.append(
                Markup('<text class="x-label" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                    _c(LEFT + (index + 0.5) * slot), _c(TOP + plot_h + 16), group
                )
            )
    if no_data or (no_data is None and not any(heights)):
        parts.append(
            Markup('<text class="no-data" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                _c(LEFT + plot_w / 2), _c(TOP + plot_h / 2), "No data"
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _c(coordinate: float) -> str:
    return f"{coordinate:.1f}"


def _legend(series: Sequence[Series]) -> list[Markup]:
    parts = []
    x = LEFT
    for one in series:
        parts.append(
            Markup(
                '<rect class="{}" x="{}" y="8" width="12" height="12"></rect>'
                '<text class="legend" x="{}" y="18">{}</text>'
            ).format(name(one.css), x, x + 16, one.label)
        )
        x += 24 + 7 * len(one.label)
    return parts


def _axis(top: float, step: float, plot_w: float, plot_h: float, unit: str) -> list[Markup]:
    parts = []
    for tick in range(round(top / step) + 1):
        value = step * tick
        y = TOP + plot_h - plot_h * value / top
        parts.append(
            Markup(
                '<line class="grid" x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke-width="1"></line>'
                '<text class="y-label" x="{3}" y="{4}" text-anchor="end">{5}{6}</text>'
            ).format(LEFT, LEFT + plot_w, _c(y), LEFT - 6, _c(y + 4), number(value), unit)
        )
    return parts
