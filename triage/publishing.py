"""Publishing the public directory (``tipline.directory/1``) to the portal over queue "portal".

What goes out is only what may be public: active organizations (id, name, kind, parent) and the
SHA-256 of each live referral link's token, never a token. It is sent after every change to the
directory (by the admin screens and the ``tipline`` commands) and every
``settings.directory_publish_seconds`` by the intake worker, so a lost job or a portal that
started empty catches up. The portal keeps the newest ``version``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from tipline import directory
from tipline.queue_contract import enqueue_directory
from triage.models import Organization, ReferralToken

_lock = threading.Lock()
_last_version = 0


def next_version() -> int:
    """Epoch milliseconds, and never the same or smaller twice in this process."""
    global _last_version
    with _lock:
        _last_version = max(time.time_ns() // 1_000_000, _last_version + 1)
        return _last_version


def build_directory(session: Session, version: int | None = None) -> dict[str, Any]:
    """The directory document as it stands (validated against ``tipline.directory``)."""
    organizations = list(
        session.scalars(
            select(Organization)
            .where(Organization.active.is_(True))
            .order_by(Organization.name, Organization.id)
        )
    )
    published = {org.id for org in organizations}
    hashes: dict[str, list[str]] = {}
    for organization_id, digest in session.execute(
        select(ReferralToken.organization_id, ReferralToken.token_hash)
        .where(ReferralToken.revoked_at.is_(None))
        .order_by(ReferralToken.id)
    ):
        hashes.setdefault(organization_id, []).append(digest)
    entries = []
    for org in organizations:
        entry: dict[str, Any] = {"id": org.id, "name": org.name, "kind": org.kind}
        # A parent the portal does not know (inactive) is left out rather than dangling.
        entry["parent"] = org.parent_id if org.parent_id in published else None
        entry["token_hashes"] = hashes.get(org.id, [])
        entries.append(entry)
    document = {
        "schema": directory.SCHEMA_ID,
        "version": next_version() if version is None else version,
        "organizations": entries,
    }
    return directory.validate(document)


def publish_directory(session: Session, redis: Redis) -> int:
    """Send the current directory to the portal; returns its version. Raises Redis errors
    (callers that must not fail catch them: the next periodic publish catches up)."""
    document = build_directory(session)
    enqueue_directory(redis, directory.encode(document), document["version"])
    return int(document["version"])
