"""Sealed data the portal no longer needs does not stay on the public-facing host.

Once triage has acknowledged an envelope or a file, triage's database is where it lives; the
portal's copy only matters while it may have to be re-sent. After
``settings.outbox_retention_hours`` the portal drops the sealed bytes: acknowledged attachment
rows are deleted, and acknowledged envelope rows keep only their id and dates (receipts and the
reporter's list of replies refer to them).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from portal.models import OutboxAttachment, OutboxEnvelope, utcnow

log = logging.getLogger("portal.retention")

BATCH = 500


def drop_delivered(session: Session, retention_hours: int, now: datetime | None = None) -> int:
    """Drop sealed bytes acknowledged more than ``retention_hours`` ago (one batch of each).

    Returns how many rows were cleared; call again until it returns 0.
    """
    cutoff = (now or utcnow()) - timedelta(hours=retention_hours)
    files = list(
        session.scalars(
            select(OutboxAttachment.id).where(OutboxAttachment.acked_at < cutoff).limit(BATCH)
        )
    )
    if files:
        session.execute(delete(OutboxAttachment).where(OutboxAttachment.id.in_(files)))
    envelopes = list(
        session.scalars(
            select(OutboxEnvelope.id)
            .where(OutboxEnvelope.acked_at < cutoff, func.length(OutboxEnvelope.envelope) > 0)
            .limit(BATCH)
        )
    )
    if envelopes:
        session.execute(
            update(OutboxEnvelope).where(OutboxEnvelope.id.in_(envelopes)).values(envelope=b"")
        )
    if files or envelopes:
        log.info("dropped %d delivered envelope(s) and %d file(s)", len(envelopes), len(files))
    return len(files) + len(envelopes)
