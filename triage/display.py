"""Template filters: times the way an officer reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask


def timestamp(value: datetime | None) -> str:
    """``2024-05-06 09:14 UTC``"""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def span(seconds: float) -> str:
    """A short human duration: ``45 min``, ``3 h 10 min``, ``2 days``."""
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} days"


def due_in(due: datetime, now: datetime) -> str:
    """``in 3 h 10 min`` or ``overdue by 12 min``."""
    seconds = (due - now).total_seconds()
    return f"in {span(seconds)}" if seconds >= 0 else f"overdue by {span(seconds)}"


def late_by(due: datetime, now: datetime) -> str:
    """``12 min`` past due (for an overdue item)."""
    return span((now - due).total_seconds())


def init_filters(app: Flask) -> None:
    app.add_template_filter(timestamp, "timestamp")
    app.add_template_filter(due_in, "due_in")
    app.add_template_filter(late_by, "late_by")
