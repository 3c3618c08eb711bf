"""Taking a report: build the sealed document, issue a receipt, accept it into the outbox.

Checked attachments (``portal.uploads``) are sealed one by one and named, with their keys,
inside the sealed document; files that failed their checks are simply not part of it, and the
reporter is told which and why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from portal import outbox
from portal.attachment_outbox import seal_files
from portal.models import utcnow
from portal.receipts import ReceiptDeriver
from portal.sealing import ReportSealer
from portal.uploads import CheckedUploads, CleanFile, RefusedFile
from tipline.report_schema import SCHEMA_ID

CHANNEL_WEB = "web"


@dataclass(frozen=True)
class Submitted:
    """What the reporter is shown once: the receipt code. Never logged or stored."""

    envelope_id: str
    code: str
    attached: tuple[CleanFile, ...] = ()
    refused: tuple[RefusedFile, ...] = ()

    def __repr__(self) -> str:
        return f"Submitted(envelope_id={self.envelope_id})"


def build_document(
    envelope_id: str,
    submitted_at: datetime,
    report: dict[str, str],
    contact: dict[str, str] | None,
    reply_to: dict[str, str],
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``tipline.report/1`` document (validated when sealed)."""
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "kind": "report",
        "envelope_id": envelope_id,
        "submitted_at": submitted_at.isoformat(timespec="seconds"),
        "channel": CHANNEL_WEB,
        "report": report,
        "contact": contact,
        "reply_to": reply_to,
    }
    if attachments:
        document["attachments"] = attachments
    return document


@dataclass(frozen=True)
class ReportIntake:
    """Everything a submission needs, passed in (no Flask, no globals)."""

    session_factory: sessionmaker[Session]
    sealer: ReportSealer
    receipts: ReceiptDeriver
    redis: Redis

    def ready(self) -> bool:
        """False when reports cannot be sealed (no unit public key): the portal is offline."""
        return self.sealer.ready()

    def submit(
        self,
        report: dict[str, str],
        contact: dict[str, str] | None,
        uploads: CheckedUploads | None = None,
        now: datetime | None = None,
    ) -> Submitted:
        """Accept one report, with its checked files, durably (see ``outbox.accept_report``)."""
        now = now or utcnow()
        receipt = self.receipts.issue()
        envelope_id = str(uuid.uuid4())
        accepted = uploads.accepted if uploads else []
        files = seal_files(accepted, uploads.folder) if uploads and accepted else []
        document = build_document(
            envelope_id,
            now,
            report,
            contact,
            receipt.reply_to(),
            [sealed.descriptor for sealed in files],
        )
        outbox.accept_report(
            self.session_factory, self.sealer, document, receipt, self.redis, now, files
        )
        return Submitted(
            envelope_id=envelope_id,
            code=receipt.code,
            attached=tuple(accepted),
            refused=tuple(uploads.refused) if uploads else (),
        )
