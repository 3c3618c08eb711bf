"""Small statistics helpers (percentiles of latencies, rates)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table cell (``-`` when unknown)."""
    if math.isnan(seconds):
        return "-"
    value = seconds * 1000
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    if value >= 1:
        return f"{value:.2f} ms"
    return f"{value * 1000:.0f} µs"


def rate(per_second: float, unit: str) -> str:
    if math.isnan(per_second):
        return "-"
    if per_second >= 100:
        return f"{per_second:,.0f} {unit}/s"
    return f"{per_second:.1f} {unit}/s"


def ratio(figure: float, baseline: float) -> str:
    if math.isnan(figure) or math.isnan(baseline) or baseline == 0:
        return "-"
    value = figure / baseline
    if value >= 100:
        return f"{value:,.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x"
