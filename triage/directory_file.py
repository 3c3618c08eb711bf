"""The directory as a TOML file under ``config/``: units with their on-call contacts,
organizations, routing rules. Never referral links: tokens are issued per deployment.

``export_config`` writes what the database holds; ``import_config`` makes the database hold
what a file says, by id (slug):

- units and organizations in the file are added or updated; those not in the file are left
  alone (nothing is deleted by an import);
- a unit that lists ``contacts`` gets exactly that on-call list, in that order;
- a file with ``routes`` replaces the routing rules with its list, in its order;
- importing the same file again changes nothing (and says so).

Every error names the entry (``organizations[3] (lincoln-high): no organization 'x'``); the
caller's transaction is then rolled back, so a bad file changes nothing. Templates to start from
are in ``config/templates/``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import tomli_w
from sqlalchemy.orm import Session

from triage import directory_admin as admin
from triage.directory_checks import DirectoryError, check_address, check_channel, check_name
from triage.models import Organization, Unit, UnitContact

HEADER = """\
# Tipline directory: units (with their on-call contacts), organizations, routing rules.
# Import with `tipline directory import FILE`; re-importing the same file changes nothing.
# Routing rules are tried in order and the first match wins; nothing matching goes to the
# default unit. Route kinds: organization (an organization id; its sub-organizations match
# too), place (a location type: school, workplace, other_place; or words to find in the
# place, separated by commas), category (threat_of_violence, weapons, self_harm, bullying,
# online_posts, other). Referral links are never in this file.
"""
SECTIONS = ("units", "organizations", "routes")
UNIT_KEYS = {"id", "name", "default", "contacts"}
CONTACT_KEYS = {"name", "channel", "address", "active"}
ORGANIZATION_KEYS = {"id", "name", "kind", "parent", "active"}
ROUTE_KEYS = {"kind", "match", "unit", "active"}


# --- export ----------------------------------------------------------------------------------


def export_config(session: Session) -> str:
    units = []
    for unit in admin.list_units(session):
        entry: dict[str, Any] = {"id": unit.slug, "name": unit.name}
        if unit.is_default:
            entry["default"] = True
        if unit.contacts:
            entry["contacts"] = [_contact_entry(c) for c in unit.contacts]
        units.append(entry)
    organizations = []
    for org in admin.list_organizations(session):
        entry = {"id": org.id, "name": org.name, "kind": org.kind}
        if org.parent_id:
            entry["parent"] = org.parent_id
        if not org.active:
            entry["active"] = False
        organizations.append(entry)
    routes = []
    for rule in admin.list_routes(session):
        entry = {"kind": rule.kind, "match": rule.match, "unit": rule.unit.slug}
        if not rule.active:
            entry["active"] = False
        routes.append(entry)
    parts = [HEADER]
    for name, rows in (("units", units), ("organizations", organizations), ("routes", routes)):
        # Each entry as its own [[table]]: a bare key after a table would belong to it.
        parts.extend(f"\n[[{name}]]\n" + _table_body(row) for row in rows)
    return "".join(parts)


def _table_body(row: Mapping[str, Any]) -> str:
    """``key = value`` lines; a list of tables (contacts) as one inline table per line."""
    lines = []
    for key, value in row.items():
        if isinstance(value, list):
            items = "".join(f"    {_inline(v)},\n" for v in value)
            lines.append(f"{key} = [\n{items}]\n")
        else:
            lines.append(tomli_w.dumps({key: value}))
    return "".join(lines)


def _inline(table: Mapping[str, Any]) -> str:
    pairs = (tomli_w.dumps({key: value}).strip() for key, value in table.items())
    return "{ " + ", ".join(pairs) + " }"


def _contact_entry(contact: UnitContact) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": contact.name,
        "channel": contact.channel,
        "address": contact.address,
    }
    if not contact.active:
        entry["active"] = False
    return entry


# --- import ----------------------------------------------------------------------------------


class _Counts:
    def __init__(self) -> None:
        self.added = 0
        self.changed = 0
        self.unchanged = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged"


def import_config(session: Session, text: str) -> str:
    """Apply a directory file; returns a one-line summary. Raises ``DirectoryError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError(f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise DirectoryError(f"unknown section {unknown[0]!r}; sections are {', '.join(SECTIONS)}")
    for section in SECTIONS:
        if section in data and not (
            isinstance(data[section], list) and all(isinstance(e, dict) for e in data[section])
        ):
            raise DirectoryError(f"{section} must be a list of tables ([[{section}]])")
    units = _import_units(session, data.get("units", []))
    organizations = _import_organizations(session, data.get("organizations", []))
    routes = _import_routes(session, data["routes"]) if "routes" in data else "not in the file"
    return f"units: {units}; organizations: {organizations}; routes: {routes}"


@contextmanager
def _entry(section: str, index: int, raw: Mapping[str, Any]) -> Iterator[None]:
    """Name the entry in any ``DirectoryError`` raised inside."""
    ident = raw.get("id") if section != "routes" else raw.get("match")
    where = f"{section}[{index}]" + (f" ({ident})" if isinstance(ident, str) else "")
    try:
        yield
    except DirectoryError as exc:
        raise DirectoryError(f"{where}: {exc}") from None


def _keys(raw: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise DirectoryError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(raw))
    if missing:
        raise DirectoryError(f"missing {missing[0]!r}")


def _flag(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise DirectoryError(f"{key} must be true or false")
    return value


def _import_units(session: Session, entries: list[dict[str, Any]]) -> _Counts:
    counts = _Counts()
    default: tuple[int, str] | None = None
    for index, raw in enumerate(entries, start=1):
        with _entry("units", index, raw):
            _keys(raw, UNIT_KEYS, {"id", "name"})
            existing = _unit_or_none(session, raw["id"])
            changed = False
            if existing is None:
                unit = admin.add_unit(session, raw["id"], raw["name"])
                counts.added += 1
            else:
                unit = existing
                if unit.name != " ".join(str(raw["name"]).split()):
                    admin.rename_unit(session, unit.slug, raw["name"])
                    changed = True
            if _flag(raw, "default", False):
                if default is not None:
                    raise DirectoryError(f"only one unit can be the default ({default[1]} is)")
                default = (index, unit.slug)
                changed |= existing is not None and not unit.is_default
                admin.set_default_unit(session, unit.slug)
            if "contacts" in raw:
                changed |= _import_contacts(session, unit, raw["contacts"]) and existing is not None
            if existing is not None:
                counts.changed += changed
                counts.unchanged += not changed
    return counts


def _unit_or_none(session: Session, slug: object) -> Unit | None:
    try:
        return admin.get_unit(session, str(slug))
    except DirectoryError:
        return None


def _import_contacts(session: Session, unit: Unit, raw: object) -> bool:
    """Give the unit exactly this on-call list; True if it changed."""
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise DirectoryError("contacts must be a list of { name, channel, address } tables")
    wanted = []
    for number, contact in enumerate(raw, start=1):
        try:
            _keys(contact, CONTACT_KEYS, {"name", "channel", "address"})
            channel = check_channel(contact["channel"])
            wanted.append(
                (
                    check_name(contact["name"], "contact"),
                    channel,
                    check_address(channel, contact["address"]),
                    _flag(contact, "active", True),
                )
            )
        except DirectoryError as exc:
            raise DirectoryError(f"contact #{number}: {exc}") from None
    current = [(c.name, c.channel, c.address, c.active) for c in unit.contacts]
    if current == wanted:
        return False
    unit.contacts.clear()
    session.flush()
    for position, (name, channel, address, active) in enumerate(wanted, start=1):
        unit.contacts.append(
            UnitContact(
                position=position, name=name, channel=channel, address=address, active=active
            )
        )
    session.flush()
    return True


def _import_organizations(session: Session, entries: list[dict[str, Any]]) -> _Counts:
    counts = _Counts()
    changed: dict[int, bool] = {}
    # First every organization, then the parents: a parent may come later in the file.
    for index, raw in enumerate(entries, start=1):
        with _entry("organizations", index, raw):
            _keys(raw, ORGANIZATION_KEYS, {"id", "name", "kind"})
            active = _flag(raw, "active", True)
            org = session.get(Organization, raw["id"]) if isinstance(raw["id"], str) else None
            if org is None:
                org = admin.add_organization(session, raw["id"], raw["name"], raw["kind"])
                admin.update_organization(session, org.id, active=active)
                counts.added += 1
                continue
            before = (org.name, org.kind, org.active)
            admin.update_organization(
                session, org.id, name=raw["name"], kind=raw["kind"], active=active
            )
            changed[index] = before != (org.name, org.kind, org.active)
    for index, raw in enumerate(entries, start=1):
        with _entry("organizations", index, raw):
            parent = raw.get("parent") or None
            if parent is not None and not isinstance(parent, str):
                raise DirectoryError("parent must be an organization id")
            org = admin.get_organization(session, raw["id"])
            if org.parent_id != parent:
                admin.update_organization(session, org.id, parent=parent)
                if index in changed:
                    changed[index] = True
    for was_changed in changed.values():
        counts.changed += was_changed
        counts.unchanged += not was_changed
    return counts


def _import_routes(session: Session, entries: list[dict[str, Any]]) -> str:
    wanted = []
    for index, raw in enumerate(entries, start=1):
        with _entry("routes", index, raw):
            _keys(raw, ROUTE_KEYS, {"kind", "match", "unit"})
            match = admin.check_match(session, raw["kind"], raw["match"])
            unit = admin.get_unit(session, str(raw["unit"]))
            wanted.append((raw["kind"], match, unit.slug, _flag(raw, "active", True)))
    current = [(r.kind, r.match, r.unit.slug, r.active) for r in admin.list_routes(session)]
    if current == wanted:
        return f"{len(wanted)} rule(s), unchanged"
    for rule in admin.list_routes(session):
        admin.delete_route(session, rule.id)
    for kind, match, unit_slug, active in wanted:
        rule = admin.add_route(session, kind, match, unit_slug)
        if not active:
            admin.set_route_active(session, rule.id, False)
    return f"{len(wanted)} rule(s), replaced"
