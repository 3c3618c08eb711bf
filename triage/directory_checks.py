"""Checks and small helpers shared by the directory services (``triage.directory_admin``,
``triage.directory_file``): each refusal is a ``DirectoryError`` with a message an
administrator can act on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit

from tipline.directory import ORGANIZATION_KINDS
from tipline.report_schema import ORGANIZATION_ID_PATTERN
from triage.models import CONTACT_CHANNELS, CONTACT_PURPOSES

ORGANIZATION_SLUG = re.compile(ORGANIZATION_ID_PATTERN)
UNIT_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
NAME_LIMITS = {"organization": 200, "unit": 120, "contact": 120}
ADDRESS_LIMIT = 300
MATCH_LIMIT = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{5,40}$")


class DirectoryError(ValueError):
    """The directory cannot be changed as asked; the message says why."""


def organization_slug(slug: object) -> str:
    if not isinstance(slug, str) or not ORGANIZATION_SLUG.match(slug):
        raise DirectoryError(
            f"organization id {slug!r} must be 1-63 lowercase letters, digits and dashes,"
            " starting with a letter or digit"
        )
    return slug


def check_choice(value: object, choices: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``choices``; else a ``DirectoryError`` naming them."""
    if value not in choices:
        raise DirectoryError(f"{what} must be one of {', '.join(choices)}, got {value!r}")
    assert isinstance(value, str)
    return value


def check_kind(kind: object) -> str:
    return check_choice(kind, ORGANIZATION_KINDS, "organization kind")


def check_channel(channel: object) -> str:
    return check_choice(channel, CONTACT_CHANNELS, "contact channel")


def check_purpose(purpose: object) -> str:
    return check_choice(purpose, CONTACT_PURPOSES, "contact purpose")


def check_address(channel: str, address: object) -> str:
    """The address, stripped, if it suits the channel; else ``DirectoryError``."""
    value = address.strip() if isinstance(address, str) else ""
    if not value or len(value) > ADDRESS_LIMIT:
        raise DirectoryError(f"a contact address is 1-{ADDRESS_LIMIT} characters")
    if channel == "email" and not _EMAIL.match(value):
        raise DirectoryError(f"{value!r} is not an email address")
    if channel == "phone" and (not _PHONE.match(value) or sum(c.isdigit() for c in value) < 5):
        raise DirectoryError(f"{value!r} is not a phone number (digits, spaces, + ( ) - .)")
    if channel == "webhook":
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise DirectoryError(f"{value!r} is not a web address (https://...)")
    return value


class _Ordered(Protocol):
    position: int


def check_name(name: object, what: str) -> str:
    limit = NAME_LIMITS[what]
    value = " ".join(name.split()) if isinstance(name, str) else ""
    if not value or len(value) > limit:
        raise DirectoryError(f"a {what} name is 1-{limit} characters")
    return value


def renumber(rows: Sequence[_Ordered]) -> None:
    for number, row in enumerate(rows, start=1):
        row.position = number


def move(rows: Sequence[_Ordered], row: _Ordered, direction: str) -> None:
    if direction not in ("up", "down"):
        raise DirectoryError(f"direction must be up or down, got {direction!r}")
    ordered = list(rows)
    index = ordered.index(row)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    renumber(ordered)
