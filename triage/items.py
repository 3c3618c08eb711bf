"""Opening a queue item for an officer: unit check, in-memory decryption, audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tipline import report_schema
from tipline.envelope import EnvelopeError, Purpose, open_envelope
from tipline.keys import PrivateKey
from triage.audit import record
from triage.conversation import FileInfo, files_of
from triage.display import timestamp
from triage.models import Officer, QueueItem


@dataclass(frozen=True)
class OpenedReport:
    """A report opened for display; lives for one request and is never stored or logged."""

    fields: list[tuple[str, str]]  # (label, value) in reading order, empty fields left out
    contact: list[tuple[str, str]]  # only what the reporter chose to give
    can_receive_replies: bool
    files: list[FileInfo] = field(default_factory=list)  # attached to the report


def item_for_officer(session: Session, item_id: int, officer: Officer) -> QueueItem | None:
    """The item if it belongs to the officer's unit; otherwise None and an "access-denied" event.

    The caller commits (the denial is recorded even though the officer sees a plain 404).
    """
    item = session.get(QueueItem, item_id)
    if item is not None and item.unit_id == officer.unit_id:
        return item
    record(
        session,
        "access-denied",
        officer_id=officer.id,
        item_id=item.id if item is not None else None,
        detail={"requested_item": item_id, "exists": item is not None},
    )
    return None


def open_for_officer(
    session: Session, item: QueueItem, officer: Officer, keyring: Mapping[str, PrivateKey]
) -> OpenedReport | None:
    """Decrypt the sealed report in memory and record that the officer viewed it.

    Returns None if the envelope can no longer be opened (e.g. its key was removed); the view
    is still recorded.
    """
    # Readable only here, with the unit's private key; the plaintext is not kept.
    try:
        document = report_schema.decode(open_envelope(item.sealed_body, keyring, Purpose.REPORT))
    except (EnvelopeError, report_schema.ReportInvalid) as exc:
        kind = getattr(exc, "kind", "invalid-report")
        record(
            session,
            "viewed",
            officer_id=officer.id,
            item_id=item.id,
            detail={"opened": False, "error": kind},
        )
        return None
    record(session, "viewed", officer_id=officer.id, item_id=item.id, detail={"opened": True})
    return present(document)


NOT_GIVEN = "Not given"
CHANNELS = {"web": "Web form"}


def present(document: Mapping[str, Any]) -> OpenedReport:
    """Every report field with its label, in the order an officer reads them."""
    report = document["report"]

    def text(key: str) -> str:
        return str(report.get(key) or "").strip()

    def choice(options: Mapping[str, str], key: str) -> str:
        return options.get(text(key), "") if text(key) else ""

    where = ", ".join(
        part
        for part in (choice(report_schema.LOCATION_TYPES, "location_type"), text("location"))
        if part
    )
    rows = [
        ("What happened", text("what_happened")),
        ("Category", choice(report_schema.CATEGORIES, "category")),
        ("Someone in danger right now", choice(report_schema.YES_NO_UNSURE, "danger_now")),
        ("Access to weapons", choice(report_schema.YES_NO_UNSURE, "weapons_access")),
        ("Who", text("subject")),
        ("Where", where),
        ("When", text("when")),
        ("How the reporter knows", choice(report_schema.HOW_KNOWN, "how_known")),
        ("More about how they know", text("how_known_detail")),
        ("Submitted", _submitted(document.get("submitted_at"))),
        ("Channel", CHANNELS.get(str(document.get("channel")), str(document.get("channel")))),
    ]
    given = document.get("contact") or {}
    contact = [
        (label, given[key].strip())
        for key, label in (("name", "Name"), ("email", "Email"), ("phone", "Phone"))
        if isinstance(given.get(key), str) and given[key].strip()
    ]
    return OpenedReport(
        fields=[(label, value or NOT_GIVEN) for label, value in rows],
        contact=contact,
        can_receive_replies="reply_to" in document,
        files=files_of(document),
    )


def _submitted(value: object) -> str:
    try:
        return timestamp(datetime.fromisoformat(str(value)))
    except ValueError:
        return ""
