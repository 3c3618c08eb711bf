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


def filesize(size: int) -> str:
    """``812 bytes``, ``14.2 KB``, ``3.1 MB`` (powers of 1024)."""
    if size < 1024:
        return f"{size} bytes" if size != 1 else "1 byte"
    value = float(size)
    for unit in ("KB", "MB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} GB"


def init_filters(app: Flask) -> None:
    app.add_template_filter(timestamp, "timestamp")
    app.add_template_filter(due_in, "due_in")
    app.add_template_filter(late_by, "late_by")
    app.add_template_filter(filesize, "filesize")
