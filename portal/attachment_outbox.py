"""Sealed attachments in the outbox: sealed here, committed with their envelope, relayed to triage.

1. ``seal_files`` seals each checked file (``portal.uploads``) with a fresh random key
   (``tipline.attachments``, chunk by chunk, into a temporary file). The key, id, name, type,
   size and SHA-256 go into the report or reply document as ``attachments[]``: only the unit,
   which can open that document, can ever open the file.
2. ``add_rows`` puts the sealed files in ``outbox_attachments`` inside the caller's transaction,
   the one that commits the envelope naming them.
3. ``send`` enqueues them for intake after the commit; ``relay`` re-sends every one triage has
   not acknowledged; ``record_attachment_acknowledgement`` stops that.

Logs carry attachment ids only.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from portal.models import OutboxAttachment, utcnow
from portal.uploads import CleanFile
from tipline import attachments
from tipline.db import transaction
from tipline.queue_contract import enqueue_attachment

log = logging.getLogger("portal.attachments")

RELAY_BATCH = 50


@dataclass(frozen=True)
class SealedFile:
    """One sealed file waiting to be committed. ``descriptor`` holds its key: never log it."""

    attachment_id: str
    descriptor: dict[str, Any]
    path: Path  # the sealed bytes

    def __repr__(self) -> str:
        return f"SealedFile(attachment_id={self.attachment_id})"


def seal_files(files: Sequence[CleanFile], folder: Path) -> list[SealedFile]:
    """Seal each file with its own new key, into ``folder``."""
    sealed: list[SealedFile] = []
    for clean in files:
        attachment_id = attachments.random_id()
        key = attachments.new_file_key()
        target = folder / f"{attachment_id}.sealed"
        # Readable only with ``key``, which travels inside the document sealed to the unit.
        with clean.path.open("rb") as src, target.open("wb") as dst:
            attachments.seal_file(src, dst, key, attachment_id)
        descriptor = {
            "id": attachment_id,
            "name": clean.name,
            "media_type": clean.media_type,
            "size": clean.size,
            "sha256": clean.sha256,
            "key": base64.b64encode(key).decode("ascii"),
        }
        sealed.append(SealedFile(attachment_id, descriptor, target))
    return sealed


def add_rows(
    session: Session, envelope_id: str, files: Sequence[SealedFile], now: datetime
) -> None:
    """Add the sealed files to the outbox in the caller's transaction (one file in memory)."""
    for sealed in files:
        row = OutboxAttachment(
            id=sealed.attachment_id,
            envelope_id=envelope_id,
            sealed=sealed.path.read_bytes(),
            created_at=now,
            enqueue_count=0,
        )
        session.add(row)
        session.flush()
        session.expunge(row)  # let the bytes go; the transaction holds the row


def _mark_enqueued(
    session_factory: sessionmaker[Session], attachment_id: str, now: datetime
) -> None:
    with transaction(session_factory) as session:
        session.execute(
            update(OutboxAttachment)
            .where(OutboxAttachment.id == attachment_id)
            .values(last_enqueued_at=now, enqueue_count=OutboxAttachment.enqueue_count + 1)
        )


def send(
    session_factory: sessionmaker[Session],
    redis_conn: Redis,
    files: Sequence[SealedFile],
    now: datetime | None = None,
) -> int:
    """Enqueue committed files for intake (first attempt). Returns how many went; the relay
    sends the rest later."""
    sent = 0
    for sealed in files:
        try:
            enqueue_attachment(redis_conn, sealed.attachment_id, sealed.path.read_bytes(), 0)
        except RedisError:
            log.warning(
                "attachment %s not enqueued (Redis unavailable); relay will send it",
                sealed.attachment_id,
            )
            return sent
        try:
            _mark_enqueued(session_factory, sealed.attachment_id, now or utcnow())
        except SQLAlchemyError:
            log.warning("attachment %s enqueued but not recorded as such", sealed.attachment_id)
        sent += 1
    return sent


def relay(
    session_factory: sessionmaker[Session],
    redis_conn: Redis,
    older_than_seconds: int,
    now: datetime | None = None,
) -> int:
    """Re-enqueue unacknowledged files never enqueued or last enqueued before the threshold.

    Loads one sealed file at a time. A ``RedisError`` stops the run (raised) after recording
    what was already sent.
    """
    now = now or utcnow()
    threshold = now - timedelta(seconds=older_than_seconds)
    sent = 0
    while True:
        with session_factory() as session:
            due = session.execute(
                select(OutboxAttachment.id, OutboxAttachment.enqueue_count)
                .where(
                    OutboxAttachment.acked_at.is_(None),
                    or_(
                        OutboxAttachment.last_enqueued_at.is_(None),
                        OutboxAttachment.last_enqueued_at < threshold,
                    ),
                )
                .order_by(OutboxAttachment.created_at)
                .limit(RELAY_BATCH)
            ).all()
        for attachment_id, attempt in due:
            with session_factory() as session:
                sealed = session.scalar(
                    select(OutboxAttachment.sealed).where(OutboxAttachment.id == attachment_id)
                )
            if sealed is None:
                continue
            enqueue_attachment(redis_conn, attachment_id, sealed, attempt)
            del sealed
            _mark_enqueued(session_factory, attachment_id, now)
            sent += 1
            log.info("relayed attachment %s", attachment_id)
        if len(due) < RELAY_BATCH:
            return sent


def record_attachment_acknowledgement(
    session: Session, attachment_id: str, now: datetime | None = None
) -> bool:
    """Mark a file as held by triage. Idempotent; False for unknown ids.

    Works on the id alone: the sealed bytes are never loaded for this.
    """
    known = session.scalar(select(OutboxAttachment.id).where(OutboxAttachment.id == attachment_id))
    if known is None:
        log.warning("acknowledgement for unknown attachment %s ignored", attachment_id)
        return False
    session.execute(
        update(OutboxAttachment)
        .where(OutboxAttachment.id == attachment_id, OutboxAttachment.acked_at.is_(None))
        .values(acked_at=now or utcnow())
    )
    return True
