"""Opening a queue item for an officer: unit check, in-memory decryption, audit trail.

Who may open what is decided in ``triage.policy``; this module applies it and records every
denial.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tipline import referral_schema, report_schema
from tipline.envelope import EnvelopeError, Purpose, open_envelope
from tipline.keys import PrivateKey
from triage import documents, policy
from triage.audit import record
from triage.conversation import FileInfo, files_of
from triage.display import timestamp
from triage.models import Officer, QueueItem


@dataclass(frozen=True)
class OpenedReport:
    """A report opened for display; lives for one request and is never stored or logged."""

    fields: list[tuple[str, str]]  # (label, value) in reading order, empty fields left out
    contact: list[tuple[str, str]]  # only what the reporter chose to give (the filer: all)
    can_receive_replies: bool
    files: list[FileInfo] = field(default_factory=list)  # attached to the report
    kind: str = documents.REPORT
    behaviors: list[str] = field(default_factory=list)  # a referral's checklist, as labels


def item_for_officer(session: Session, item_id: int, officer: Officer) -> QueueItem | None:
    """The item if it belongs to the officer's unit; otherwise None and an "access-denied" event.

    The caller commits (the denial is recorded even though the officer sees a plain 404).
    """
    item = session.get(QueueItem, item_id)
    if item is not None and policy.can_see_item(officer, item):
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
        document = documents.decode(open_envelope(item.sealed_body, keyring, Purpose.REPORT))
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
    """Every field with its label, in the order an officer reads them."""
    if documents.kind_of(document) == documents.REFERRAL:
        return present_referral(document)
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


def present_referral(document: Mapping[str, Any]) -> OpenedReport:
    """A referral: what happened, the checklist, what was done, and the identified filer."""
    referral = document["referral"]

    def text(key: str) -> str:
        return str(referral.get(key) or "").strip()

    def choice(options: Mapping[str, str], key: str) -> str:
        return options.get(text(key), "") if text(key) else ""

    where = ", ".join(
        part
        for part in (choice(report_schema.LOCATION_TYPES, "location_type"), text("location"))
        if part
    )
    relation = ", ".join(
        part
        for part in (choice(referral_schema.RELATIONS, "relation"), text("relation_detail"))
        if part
    )
    rows = [
        ("Urgency", choice(referral_schema.URGENCY, "urgency")),
        ("What happened", text("what_happened")),
        ("Category", choice(report_schema.CATEGORIES, "category")),
        ("Someone in danger right now", choice(report_schema.YES_NO_UNSURE, "danger_now")),
        ("Access to weapons", choice(report_schema.YES_NO_UNSURE, "weapons_access")),
        ("Who", text("subject")),
        ("Filer's relation to them", relation),
        ("Where", where),
        ("When", text("when")),
        ("What was already done", text("actions_taken")),
        ("Submitted", _submitted(document.get("submitted_at"))),
        ("Channel", CHANNELS.get(str(document.get("channel")), str(document.get("channel")))),
    ]
    filer = document["filer"]
    organization = filer.get("organization_name") or filer.get("organization_id") or ""
    contact = [
        (label, str(value).strip())
        for label, value in (
            ("Name", filer.get("name")),
            ("Role", filer.get("role")),
            ("Organization (as typed)", organization),
            ("Email", filer.get("email")),
            ("Phone", filer.get("phone")),
        )
        if isinstance(value, str) and value.strip()
    ]
    return OpenedReport(
        fields=[(label, value or NOT_GIVEN) for label, value in rows],
        contact=contact,
        can_receive_replies="reply_to" in document,
        files=files_of(document),
        kind=documents.REFERRAL,
        behaviors=[
            label
            for key, label in referral_schema.BEHAVIORS.items()
            if key in (referral.get("behaviors") or [])
        ],
    )
