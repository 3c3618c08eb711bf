"""Routing at intake: which unit's queue a report or referral goes to, and why.

Active rules are tried in ``position`` order and the first that matches wins; nothing matching
means the default unit (one always exists). Rule kinds:

- ``organization``: the item's organization is the rule's, or lies under it (a school matches
  its district's rule through ``parent``). The item's organization is a report's
  ``organization.id``; for a referral, the organization of its verified referral link, else the
  organization the filer named (marked unverified in the reason).
- ``place``: ``match`` is a location type (``school``, ``workplace``, ``other_place``) that must
  equal the document's ``location_type``; anything else is a comma-separated list of words or
  phrases, one of which must appear (whole words, any case) in ``location``.
- ``category``: ``match`` equals the document's category.

Every route carries its reasons (rule texts and directory names, never report content), shown
to officers beside the reasons for the tier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipline.report_schema import CATEGORIES, LOCATION_TYPES
from triage.documents import REFERRAL, claimed_organization, fields_of, kind_of
from triage.models import Organization, RoutingRule, Unit, default_unit

DEFAULT_REASON = "No routing rule matched; default unit"
PLACE_TYPES = {key: label for key, label in LOCATION_TYPES.items() if key}
_MAX_DEPTH = 32


@dataclass(frozen=True)
class Route:
    unit: Unit
    organization_id: str | None
    reasons: list[dict[str, str]] = field(default_factory=list)  # [{"rule", "text"}]


def route(
    session: Session, document: Mapping[str, Any], verified_organization: str | None = None
) -> Route:
    """The unit for a validated document. ``verified_organization`` is the organization of a
    referral's valid referral link (intake checks the token), None otherwise."""
    organization_id = verified_organization or claimed_organization(document)
    unverified = kind_of(document) == REFERRAL and verified_organization is None
    chain = organization_chain(session, organization_id)
    fields = fields_of(document)
    rules = session.scalars(
        select(RoutingRule)
        .where(RoutingRule.active.is_(True))
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    for rule in rules:
        because = _matches(rule, chain, fields, unverified)
        if because is not None:
            text = f"{because} → {rule.unit.name} (rule {rule.position})"
            return Route(rule.unit, organization_id, [{"rule": f"route-{rule.id}", "text": text}])
    return Route(
        default_unit(session), organization_id, [{"rule": "default", "text": DEFAULT_REASON}]
    )


def organization_chain(session: Session, organization_id: str | None) -> list[tuple[str, str]]:
    """``[(id, name)]`` of the organization and its ancestors, nearest first. An id the
    directory does not hold stands alone, named by its id."""
    if not organization_id:
        return []
    chain: list[tuple[str, str]] = []
    seen: set[str] = set()
    current: str | None = organization_id
    while current and current not in seen and len(chain) < _MAX_DEPTH:
        seen.add(current)
        org = session.get(Organization, current)
        chain.append((current, org.name if org else current))
        current = org.parent_id if org else None
    return chain


def _matches(
    rule: RoutingRule,
    chain: list[tuple[str, str]],
    fields: Mapping[str, Any],
    unverified: bool,
) -> str | None:
    """Why ``rule`` matches (the start of the reason), or None."""
    if rule.kind == "organization":
        for depth, (org_id, name) in enumerate(chain):
            if org_id == rule.match:
                own = chain[0][1]
                text = f"Organization {own}" if depth == 0 else f"Organization {own}, in {name}"
                return text + (" (named by the filer, unverified)" if unverified else "")
        return None
    if rule.kind == "category":
        if fields.get("category") != rule.match:
            return None
        return f"Category {CATEGORIES.get(rule.match, rule.match)}"
    if rule.kind == "place":
        if rule.match in PLACE_TYPES:
            if fields.get("location_type") == rule.match:
                return f"Place: {PLACE_TYPES[rule.match]}"
            return None
        location = str(fields.get("location") or "")
        for word in place_keywords(rule.match):
            if _whole_words(word).search(location):
                return f"Place mentions “{word}”"
    return None


def place_keywords(match: str) -> list[str]:
    return [word.strip() for word in match.split(",") if word.strip()]


def _whole_words(phrase: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(piece) for piece in phrase.split())
    return re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)
