"""Attached files: storing them as they arrive, and opening one for an officer to download.

A sealed file and the sealed document that names it (a report or a reply) travel separately and
may arrive in either order. The file's key is only inside the document, so a stored file is
unreadable on its own; it is linked to its document by id when an officer looks.
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipline import attachments, report_schema
from tipline.envelope import EnvelopeError
from triage.conversation import reply_documents
from triage.models import Attachment, QueueItem
from triage.sealing import UnitCrypto

ATTACHMENT_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}


class NotArrived(LookupError):
    """The document names this file, but the file itself has not arrived yet."""


class InvalidAttachmentJob(ValueError):
    """An attachment job that cannot be stored; it fails and stays in RQ's failed list."""


def max_sealed_size(max_plain_bytes: int) -> int:
    return attachments.sealed_size(max_plain_bytes)


def store(
    session: Session, attachment_id: str, sealed: bytes, now: datetime, max_sealed_bytes: int
) -> bool:
    """Keep one sealed file by id; True if it is new. Idempotent (a re-send stores nothing)."""
    if not ATTACHMENT_ID.match(attachment_id):
        raise InvalidAttachmentJob("the job's attachment id is not 32 lowercase hex characters")
    if len(sealed) > max_sealed_bytes:
        raise InvalidAttachmentJob("the sealed file is larger than any allowed attachment")
    if session.get(Attachment, attachment_id) is not None:
        return False
    session.add(Attachment(id=attachment_id, sealed=sealed, size=len(sealed), received_at=now))
    session.flush()
    return True


def is_held(session: Session, attachment_id: str) -> bool:
    return (
        session.scalars(select(Attachment.id).where(Attachment.id == attachment_id)).first()
        is not None
    )


def descriptor_for(
    session: Session, crypto: UnitCrypto, item: QueueItem, attachment_id: str
) -> dict[str, Any] | None:
    """The description (with its key) of a file named by the item's report or one of its
    replies; None if neither names it. Opened in memory only."""
    if not ATTACHMENT_ID.match(attachment_id):
        return None
    documents: list[Mapping[str, Any]] = []
    with contextlib.suppress(EnvelopeError, report_schema.ReportInvalid):
        documents.append(crypto.open_report(item.sealed_body))
    documents.extend(reply_documents(session, crypto, item.id))
    for document in documents:
        for descriptor in document.get("attachments") or []:
            if descriptor["id"] == attachment_id:
                return dict(descriptor)
    return None


def open_into(session: Session, descriptor: Mapping[str, Any], target: BinaryIO) -> int:
    """Open the described file into ``target``, fully checked. Returns its size.

    Raises ``NotArrived``, or ``triage.sealing.FileDamaged`` (``target`` must then be
    discarded unsent).
    """
    sealed = session.scalars(
        select(Attachment.sealed).where(Attachment.id == descriptor["id"])
    ).first()
    if sealed is None:
        raise NotArrived(descriptor["id"])
    return UnitCrypto.open_file(io.BytesIO(sealed), descriptor, target)


def download_name(descriptor: Mapping[str, Any]) -> str:
    """A filename safe in a Content-Disposition header and on any file system."""
    name = unicodedata.normalize("NFKD", str(descriptor.get("name", "")))
    name = name.encode("ascii", "ignore").decode("ascii")
    name = _UNSAFE.sub("_", name).strip(" ._")[:100]
    extension = _EXTENSIONS.get(str(descriptor.get("media_type")), "")
    if not name or name.strip("_") == "":
        name = f"attachment-{str(descriptor['id'])[:8]}"
    if extension and not name.lower().endswith(extension):
        stem = name.rsplit(".", 1)[0] if "." in name else name
        name = (stem or "attachment") + extension
    return name
