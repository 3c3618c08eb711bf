"""A reporter's reply: a ``tipline.reply/1`` document sealed to the unit, sent like a report.

The reply goes through the same outbox (purpose "reply"): committed, with its sealed files,
before the reporter sees "sent", then enqueued for intake and re-sent until acknowledged.
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
from portal.sealing import ReportSealer
from portal.uploads import CheckedUploads, CleanFile, RefusedFile
from tipline.followup_schema import REPLY_SCHEMA_ID


def build_reply(
    envelope_id: str,
    report_envelope_id: str,
    submitted_at: datetime,
    text: str,
    attachments: list[dict[str, Any]],
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schema": REPLY_SCHEMA_ID,
        "kind": "reply",
        "envelope_id": envelope_id,
        "report_envelope_id": report_envelope_id,
        "submitted_at": submitted_at.isoformat(timespec="seconds"),
        "text": text,
    }
    if attachments:
        document["attachments"] = attachments
    return document


@dataclass(frozen=True)
class ReplySent:
    envelope_id: str
    attached: tuple[CleanFile, ...]
    refused: tuple[RefusedFile, ...]


@dataclass(frozen=True)
class ReplyIntake:
    session_factory: sessionmaker[Session]
    sealer: ReportSealer
    redis: Redis

    def ready(self) -> bool:
        return self.sealer.ready()

    def submit(
        self,
        lookup_id: str,
        report_envelope_id: str,
        text: str,
        uploads: CheckedUploads,
        now: datetime | None = None,
    ) -> ReplySent:
        """Accept a reply durably (see ``outbox.accept_reply`` for failures)."""
        now = now or utcnow()
        envelope_id = str(uuid.uuid4())
        files = seal_files(uploads.accepted, uploads.folder) if uploads.accepted else []
        document = build_reply(
            envelope_id, report_envelope_id, now, text, [f.descriptor for f in files]
        )
        outbox.accept_reply(
            self.session_factory, self.sealer, document, lookup_id, self.redis, now, files
        )
        return ReplySent(envelope_id, tuple(uploads.accepted), tuple(uploads.refused))
