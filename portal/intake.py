"""Taking a report or a referral: build the sealed document, issue a receipt, accept it into
the outbox.

A report (``tipline.report/2``) may name the organization it is about; a referral
(``tipline.referral/1``) comes from an identified filer and carries its link's token as it was
in the address, for triage to verify.

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
from portal.attachment_outbox import SealedFile, seal_files
from portal.models import utcnow
from portal.receipts import ReceiptDeriver
from portal.sealing import ReportSealer
from portal.uploads import CheckedUploads, CleanFile, RefusedFile
from tipline import referral_schema
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
    organization: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A ``tipline.report/2`` document (validated when sealed)."""
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
    if organization:
        document["organization"] = organization
    return document


def build_referral(
    envelope_id: str,
    submitted_at: datetime,
    referral_token: str | None,
    filer: dict[str, str],
    referral: dict[str, Any],
    reply_to: dict[str, str],
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``tipline.referral/1`` document (validated when sealed)."""
    document: dict[str, Any] = {
        "schema": referral_schema.SCHEMA_ID,
        "kind": "referral",
        "envelope_id": envelope_id,
        "submitted_at": submitted_at.isoformat(timespec="seconds"),
        "channel": CHANNEL_WEB,
        # As it was in the link, checked by nobody here: triage verifies it.
        "referral_token": referral_token,
        "filer": filer,
        "referral": referral,
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
        organization: dict[str, str] | None = None,
    ) -> Submitted:
        """Accept one report, with its checked files, durably (see ``outbox.accept_report``)."""
        now = now or utcnow()
        receipt = self.receipts.issue()
        envelope_id = str(uuid.uuid4())
        files = self._seal_files(uploads)
        document = build_document(
            envelope_id,
            now,
            report,
            contact,
            receipt.reply_to(),
            [sealed.descriptor for sealed in files],
            organization,
        )
        outbox.accept_report(
            self.session_factory, self.sealer, document, receipt, self.redis, now, files
        )
        return self._submitted(envelope_id, receipt.code, uploads)

    def submit_referral(
        self,
        referral_token: str | None,
        filer: dict[str, str],
        referral: dict[str, Any],
        uploads: CheckedUploads | None = None,
        now: datetime | None = None,
    ) -> Submitted:
        """Accept one referral like a report (see ``outbox.accept_referral``); the filer gets a
        receipt code and can follow up with it like any reporter."""
        now = now or utcnow()
        receipt = self.receipts.issue()
        envelope_id = str(uuid.uuid4())
        files = self._seal_files(uploads)
        document = build_referral(
            envelope_id,
            now,
            referral_token,
            filer,
            referral,
            receipt.reply_to(),
            [sealed.descriptor for sealed in files],
        )
        outbox.accept_referral(
            self.session_factory, self.sealer, document, receipt, self.redis, now, files
        )
        return self._submitted(envelope_id, receipt.code, uploads)

    @staticmethod
    def _seal_files(uploads: CheckedUploads | None) -> list[SealedFile]:
        if not uploads or not uploads.accepted:
            return []
        return seal_files(uploads.accepted, uploads.folder)

    @staticmethod
    def _submitted(envelope_id: str, code: str, uploads: CheckedUploads | None) -> Submitted:
        return Submitted(
            envelope_id=envelope_id,
            code=code,
            attached=tuple(uploads.accepted) if uploads else (),
            refused=tuple(uploads.refused) if uploads else (),
        )
