"""The organization directory: which schools, workplaces and agencies the forms offer.

Triage publishes it (``tipline.directory/1``) over queue "portal"; ``store_directory`` keeps the
newest version in the portal database, and ``DirectoryReader`` gives the web app a read-only,
indexed copy, rebuilt only when the stored version changes.

The directory is public information (ids, names, kinds, parents, and SHA-256 hashes of live
referral-link tokens). It decides only what the forms *show*: the report carries the id of the
organization the person picked, or the name they typed, and a referral carries its link's token
untouched. Triage, which holds the live list, makes every decision that matters.

If the directory cannot be read, the forms still work with an empty list: nobody is ever kept
from reporting because of it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from portal.models import DirectoryCopy, utcnow
from tipline import directory as directory_contract
from tipline.directory import ORGANIZATION_KINDS, token_hash
from tipline.report_schema import ReportInvalid

log = logging.getLogger("portal.directory")

ROW_ID = 1
STORED = "stored"
NOT_NEWER = "not-newer"
MALFORMED = "malformed"


def _folded(text: str) -> str:
    """How names are compared: case and spacing do not matter."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    kind: str
    # What the form shows and matches: the name, made unique when two share it.
    label: str
    # Shown beside the label in the list ("School, Springfield District").
    description: str


@dataclass(frozen=True)
class Directory:
    """An indexed, read-only directory. ``version`` is None when none was ever stored."""

    version: int | None
    organizations: tuple[Organization, ...] = ()
    _by_id: dict[str, Organization] = field(default_factory=dict, repr=False)
    _by_label: dict[str, Organization] = field(default_factory=dict, repr=False)
    _by_unique_name: dict[str, Organization] = field(default_factory=dict, repr=False)
    _by_token_hash: dict[str, Organization] = field(default_factory=dict, repr=False)

    @classmethod
    def from_document(cls, document: dict) -> Directory:
        entries = document["organizations"]
        names = {entry["id"]: entry["name"] for entry in entries}
        name_counts = Counter(_folded(entry["name"]) for entry in entries)
        organizations: list[Organization] = []
        used_labels: set[str] = set()
        for entry in sorted(entries, key=lambda e: (_folded(e["name"]), e["id"])):
            parent_name = names.get(entry.get("parent") or "")
            label = entry["name"]
            if name_counts[_folded(label)] > 1 and parent_name:
                label = f"{label} ({parent_name})"
            if _folded(label) in used_labels:
                label = f"{entry['name']} ({entry['id']})"
            used_labels.add(_folded(label))
            kind = ORGANIZATION_KINDS.get(entry["kind"], "")
            description = f"{kind}, {parent_name}" if parent_name else kind
            organizations.append(
                Organization(entry["id"], entry["name"], entry["kind"], label, description)
            )
        by_id = {org.id: org for org in organizations}
        token_index = {
            digest: by_id[entry["id"]]
            for entry in entries
            for digest in entry.get("token_hashes", [])
        }
        return cls(
            version=document["version"],
            organizations=tuple(organizations),
            _by_id=by_id,
            _by_label={_folded(org.label): org for org in organizations},
            _by_unique_name={
                _folded(org.name): org
                for org in organizations
                if name_counts[_folded(org.name)] == 1
            },
            _by_token_hash=token_index,
        )

    def by_id(self, organization_id: str | None) -> Organization | None:
        return self._by_id.get(organization_id or "")

    def by_token(self, token: str | None) -> Organization | None:
        """The organization whose referral link carries ``token``, as of this copy."""
        if not token:
            return None
        return self._by_token_hash.get(token_hash(token))

    def match(self, typed: str | None) -> Organization | None:
        """The organization whose label (or unique name) is exactly ``typed``, ignoring case."""
        key = _folded(typed or "")
        if not key:
            return None
        return self._by_label.get(key) or self._by_unique_name.get(key)

    def resolve(self, typed: str | None) -> dict[str, str] | None:
        """The document's ``organization``: ``{"id"}`` when listed, ``{"name"}`` when typed
        ("not listed"), None when left empty."""
        text = " ".join((typed or "").split())
        if not text:
            return None
        found = self.match(text)
        return {"id": found.id} if found else {"name": text}


EMPTY = Directory(version=None)


def store_directory(session: Session, directory_json: object, now: datetime | None = None) -> str:
    """Keep ``directory_json`` if it is a valid directory newer than the stored one.

    Returns ``STORED``, ``NOT_NEWER`` (older or same version: ignored, so re-deliveries are
    harmless) or ``MALFORMED`` (logged without content, ignored). The caller commits.
    """
    if not isinstance(directory_json, str):
        log.warning("ignored directory: not text")
        return MALFORMED
    try:
        document = directory_contract.decode(directory_json)
    except ReportInvalid as exc:  # its message names fields, never values
        log.warning("ignored malformed directory: %s", exc)
        return MALFORMED
    version = document["version"]
    row = session.get(DirectoryCopy, ROW_ID, with_for_update=True)
    if row is None:
        session.add(
            DirectoryCopy(
                id=ROW_ID, version=version, document=directory_json, stored_at=now or utcnow()
            )
        )
        session.flush()
    elif version > row.version:
        row.version, row.document, row.stored_at = version, directory_json, now or utcnow()
    else:
        log.info("ignored directory version %d (have %d)", version, row.version)
        return NOT_NEWER
    log.info(
        "stored directory version %d (%d organizations)", version, len(document["organizations"])
    )
    return STORED


class DirectoryReader:
    """The web app's copy: one small query per use, a rebuild only when the version changes."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        self._lock = threading.Lock()
        self._cached: Directory = EMPTY

    def current(self) -> Directory:
        """The newest stored directory; the last good copy (or an empty one) on any problem."""
        try:
            with self._sessions() as session:
                version = session.scalar(
                    select(DirectoryCopy.version).where(DirectoryCopy.id == ROW_ID)
                )
                if version is None:
                    return EMPTY
                with self._lock:
                    if self._cached.version == version:
                        return self._cached
                document = session.scalar(
                    select(DirectoryCopy.document).where(DirectoryCopy.id == ROW_ID)
                )
        except SQLAlchemyError as exc:
            log.warning("directory unavailable (%s); forms show the last copy", type(exc).__name__)
            return self._cached
        try:
            loaded = Directory.from_document(directory_contract.decode(document or ""))
        except ReportInvalid:
            log.warning("stored directory could not be read; forms show the last copy")
            return self._cached
        with self._lock:
            if self._cached.version is None or (loaded.version or 0) >= self._cached.version:
                self._cached = loaded
            return loaded
