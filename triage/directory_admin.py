"""Administering the directory: organizations and their referral links, units and their on-call
contacts, officers' units, routing rules.

Plain functions over a session, shared by the officers' admin screens and the ``tipline org|
unit|route`` commands: they validate, change, flush, and never commit or publish (the caller
commits, then publishes with ``triage.publishing.publish_directory``). Every refusal is a
``DirectoryError`` whose message says what is wrong in words an administrator can act on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tipline.directory import new_referral_token, token_hash
from tipline.report_schema import CATEGORIES
from triage.directory_checks import (
    MATCH_LIMIT,
    UNIT_SLUG,
    DirectoryError,
    check_address,
    check_channel,
    check_choice,
    check_kind,
    check_name,
    check_purpose,
    move,
    organization_slug,
    renumber,
)
from triage.models import (
    ROUTE_KINDS,
    Notification,
    Officer,
    Organization,
    ReferralToken,
    RoutingRule,
    Unit,
    UnitContact,
    utcnow,
)
from triage.officers import normalise_username
from triage.routing import PLACE_TYPES, place_keywords

_UNSET = object()


# --- organizations ---------------------------------------------------------------------------


def list_organizations(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.name, Organization.id)))


def get_organization(session: Session, slug: str) -> Organization:
    organization = session.get(Organization, slug) if isinstance(slug, str) else None
    if organization is None:
        raise DirectoryError(f"no organization {slug!r}")
    return organization


def add_organization(
    session: Session, slug: str, name: str, kind: str, parent: str | None = None
) -> Organization:
    """A new active organization; ``parent`` is the slug of an existing one (a school's
    district). Raises ``DirectoryError`` for a bad or taken slug, an unknown kind or parent."""
    slug = organization_slug(slug)
    if session.get(Organization, slug) is not None:
        raise DirectoryError(f"an organization {slug!r} already exists")
    organization = Organization(
        id=slug,
        name=check_name(name, "organization"),
        kind=check_kind(kind),
        parent_id=get_organization(session, parent).id if parent else None,
        active=True,
    )
    session.add(organization)
    session.flush()
    return organization


def update_organization(
    session: Session,
    slug: str,
    *,
    name: str | None = None,
    kind: str | None = None,
    parent: object = _UNSET,
    active: bool | None = None,
) -> Organization:
    """Change what is given: name, kind, parent (a slug, or None for none) or active. An
    inactive organization is left out of the portal's list and its links stop verifying."""
    organization = get_organization(session, slug)
    if name is not None:
        organization.name = check_name(name, "organization")
    if kind is not None:
        organization.kind = check_kind(kind)
    if parent is not _UNSET:
        organization.parent_id = _parent_for(session, organization, parent)
    if active is not None:
        organization.active = bool(active)
    session.flush()
    return organization


def _parent_for(session: Session, organization: Organization, parent: object) -> str | None:
    if parent in (None, ""):
        return None
    if not isinstance(parent, str):
        raise DirectoryError("the parent must be an organization's id")
    candidate: Organization | None = get_organization(session, parent)
    seen: set[str] = set()
    while candidate is not None and candidate.id not in seen:
        if candidate.id == organization.id:
            raise DirectoryError(
                f"{parent!r} cannot be the parent of {organization.id!r}: it lies under it"
            )
        seen.add(candidate.id)
        candidate = candidate.parent
    return parent


# --- referral links --------------------------------------------------------------------------


def issue_referral_token(session: Session, org_slug: str) -> str:
    """A new referral link token for the organization. Returned once, never stored: only its
    SHA-256 is kept. The portal's link is ``{settings.portal_url}/refer/<token>``."""
    organization = get_organization(session, org_slug)
    if not organization.active:
        raise DirectoryError(f"organization {org_slug!r} is inactive: reactivate it first")
    token = new_referral_token()
    session.add(ReferralToken(organization_id=organization.id, token_hash=token_hash(token)))
    session.flush()
    return token


def referral_links(session: Session, org_slug: str) -> list[ReferralToken]:
    """The organization's links, newest first (live and revoked; hashes only)."""
    organization = get_organization(session, org_slug)
    return list(
        session.scalars(
            select(ReferralToken)
            .where(ReferralToken.organization_id == organization.id)
            .order_by(ReferralToken.created_at.desc(), ReferralToken.id.desc())
        )
    )


def live_link_counts(session: Session) -> dict[str, int]:
    """Per organization id, how many referral links are live."""
    rows = session.execute(
        select(ReferralToken.organization_id, func.count())
        .where(ReferralToken.revoked_at.is_(None))
        .group_by(ReferralToken.organization_id)
    )
    return {organization_id: count for organization_id, count in rows}


def revoke_referral_tokens(
    session: Session, org_slug: str, token_id: int | None = None, now: datetime | None = None
) -> int:
    """Revoke the organization's live links (or only link ``token_id``); returns how many.
    Referrals that arrive with a revoked link are still taken, marked unverified."""
    revoked = 0
    for link in referral_links(session, org_slug):
        if link.revoked_at is None and token_id in (None, link.id):
            link.revoked_at = now or utcnow()
            revoked += 1
    session.flush()
    return revoked


# --- units and their on-call contacts --------------------------------------------------------


def list_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.is_default.desc(), Unit.name)))


def get_unit(session: Session, slug: str) -> Unit:
    unit = session.scalars(select(Unit).where(Unit.slug == slug)).one_or_none()
    if unit is None:
        raise DirectoryError(f"no unit {slug!r}")
    return unit


def add_unit(session: Session, slug: str, name: str) -> Unit:
    if not isinstance(slug, str) or not UNIT_SLUG.match(slug):
        raise DirectoryError(
            f"unit id {slug!r} must be 1-40 lowercase letters, digits and dashes,"
            " starting with a letter or digit"
        )
    if session.scalars(select(Unit.id).where(Unit.slug == slug)).first() is not None:
        raise DirectoryError(f"a unit {slug!r} already exists")
    unit = Unit(slug=slug, name=check_name(name, "unit"), is_default=False)
    session.add(unit)
    session.flush()
    return unit


def rename_unit(session: Session, slug: str, name: str) -> Unit:
    unit = get_unit(session, slug)
    unit.name = check_name(name, "unit")
    session.flush()
    return unit


def set_default_unit(session: Session, slug: str) -> Unit:
    """Make ``slug`` the unit that receives what no routing rule claims (there is always
    exactly one)."""
    unit = get_unit(session, slug)
    if not unit.is_default:
        for other in session.scalars(select(Unit).where(Unit.is_default.is_(True))):
            other.is_default = False
        session.flush()  # the old default is cleared before the unique index sees the new one
        unit.is_default = True
        session.flush()
    return unit


def add_unit_contact(
    session: Session,
    unit_slug: str,
    name: str,
    channel: str,
    address: str,
    purpose: str = "on_call",
) -> UnitContact:
    """Append a contact to the unit's list: ``purpose`` "on_call" (paged for life-safety items,
    top to bottom) or "supervisor" (told when paging finds nobody and when an item is past
    due)."""
    unit = get_unit(session, unit_slug)
    contact = UnitContact(
        unit=unit,
        position=len(unit.contacts) + 1,
        name=check_name(name, "contact"),
        channel=check_channel(channel),
        address=check_address(channel, address),
        active=True,
        purpose=check_purpose(purpose),
    )
    session.add(contact)
    session.flush()
    return contact


def set_contact_purpose(
    session: Session, unit_slug: str, contact_id: int, purpose: str
) -> UnitContact:
    """Make a contact an on-call one or a supervisor one."""
    unit = get_unit(session, unit_slug)
    contact = _contact_of(unit, contact_id)
    contact.purpose = check_purpose(purpose)
    session.flush()
    return contact


def remove_unit_contact(session: Session, unit_slug: str, contact_id: int) -> None:
    unit = get_unit(session, unit_slug)
    contact = _contact_of(unit, contact_id)
    # Notifications already sent to it keep their address; they no longer point at the row.
    session.execute(
        update(Notification)
        .where(Notification.contact_id == contact.id)
        .values(contact_id=None)
        .execution_options(synchronize_session=False)
    )
    unit.contacts.remove(contact)
    renumber(unit.contacts)
    session.flush()


def move_unit_contact(session: Session, unit_slug: str, contact_id: int, direction: str) -> None:
    """Move a contact one place ``up`` (called earlier) or ``down`` the on-call list."""
    unit = get_unit(session, unit_slug)
    move(unit.contacts, _contact_of(unit, contact_id), direction)
    session.flush()


def _contact_of(unit: Unit, contact_id: int) -> UnitContact:
    for contact in unit.contacts:
        if contact.id == contact_id:
            return contact
    raise DirectoryError(f"unit {unit.slug!r} has no contact #{contact_id}")


# --- officers --------------------------------------------------------------------------------


def move_officer(session: Session, username: str, unit_slug: str) -> Officer:
    """Make the officer a member of another unit: from their next request they see that
    unit's queue and no longer their old one's."""
    officer = session.scalars(
        select(Officer).where(Officer.username == normalise_username(str(username)))
    ).one_or_none()
    if officer is None:
        raise DirectoryError(f"no officer {username!r}")
    officer.unit = get_unit(session, unit_slug)
    session.flush()
    return officer


def list_officers(session: Session) -> list[Officer]:
    return list(session.scalars(select(Officer).order_by(Officer.username)))


# --- routing rules ---------------------------------------------------------------------------


def list_routes(session: Session) -> list[RoutingRule]:
    """Every rule, in the order intake tries them (inactive ones included)."""
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def get_route(session: Session, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id) if isinstance(rule_id, int) else None
    if rule is None:
        raise DirectoryError(f"no routing rule #{rule_id}")
    return rule


def add_route(
    session: Session, kind: str, match: str, unit_slug: str, position: int | None = None
) -> RoutingRule:
    """A new active rule sending matching items to ``unit_slug``; at the end of the list, or
    at ``position`` (1 = tried first), moving the others down."""
    match = check_match(session, kind, match)
    unit = get_unit(session, unit_slug)
    rules = list_routes(session)
    rule = RoutingRule(kind=kind, match=match, unit=unit, active=True, position=0)
    session.add(rule)
    if position is None:
        index = len(rules)
    elif isinstance(position, int) and position >= 1:
        index = min(position, len(rules) + 1) - 1
    else:
        raise DirectoryError(f"position must be a whole number from 1, got {position!r}")
    rules.insert(index, rule)
    renumber(rules)
    session.flush()
    return rule


def move_route(session: Session, rule_id: int, direction: str) -> RoutingRule:
    """Move a rule one place ``up`` (tried earlier) or ``down``."""
    rule = get_route(session, rule_id)
    move(list_routes(session), rule, direction)
    session.flush()
    return rule


def set_route_active(session: Session, rule_id: int, active: bool) -> RoutingRule:
    """Inactive rules keep their place but are skipped at intake."""
    rule = get_route(session, rule_id)
    rule.active = bool(active)
    session.flush()
    return rule


def delete_route(session: Session, rule_id: int) -> None:
    rule = get_route(session, rule_id)
    rules = [r for r in list_routes(session) if r.id != rule.id]
    session.delete(rule)
    renumber(rules)
    session.flush()


def check_match(session: Session, kind: object, match: object) -> str:
    """The rule's match value, checked for its kind; else ``DirectoryError``."""
    check_choice(kind, ROUTE_KINDS, "route kind")
    value = match.strip() if isinstance(match, str) else ""
    if not value or len(value) > MATCH_LIMIT:
        raise DirectoryError(f"a {kind} route needs a match value of 1-{MATCH_LIMIT} characters")
    if kind == "organization":
        return get_organization(session, value).id
    if kind == "category":
        check_choice(value, CATEGORIES, "category")
    if kind == "place" and value not in PLACE_TYPES and not place_keywords(value):
        raise DirectoryError("a place route needs a location type or words to look for")
    return value
