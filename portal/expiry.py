"""Receipts expire after ``settings.receipt_expiry_days`` without activity.

Activity is a sign-in with the code, a reply, or a new message from the unit. An expired receipt
is purged by the portal worker (``purge_expired``): its mailbox messages are deleted and its
public key dropped, so nothing more can be sealed to the reporter or read by them. The row stays
as a tombstone (lookup id, dates) so that the portal can tell someone plainly that their code
has expired instead of calling it wrong.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from portal.models import MailboxMessage, Receipt, utcnow

log = logging.getLogger("portal.expiry")

PURGE_BATCH = 500


def is_live(receipt: Receipt, expiry_days: int, now: datetime | None = None) -> bool:
    """True while the receipt can be used (not purged, and active recently enough)."""
    if receipt.expired_at is not None or receipt.public_key is None:
        return False
    return receipt.last_activity_at >= (now or utcnow()) - timedelta(days=expiry_days)


def purge_expired(session: Session, expiry_days: int, now: datetime | None = None) -> int:
    """Expire receipts idle for ``expiry_days``: delete their mailboxes, drop their public keys,
    keep tombstones. Returns how many receipts expired (at most ``PURGE_BATCH`` per call)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=expiry_days)
    lookup_ids = list(
        session.scalars(
            select(Receipt.lookup_id)
            .where(Receipt.expired_at.is_(None), Receipt.last_activity_at < cutoff)
            .limit(PURGE_BATCH)
        )
    )
    if not lookup_ids:
        return 0
    session.execute(delete(MailboxMessage).where(MailboxMessage.receipt_lookup_id.in_(lookup_ids)))
    session.execute(
        update(Receipt)
        .where(Receipt.lookup_id.in_(lookup_ids))
        .values(public_key=None, expired_at=now, status=None, status_changed_at=None)
    )
    log.info("expired %d receipt(s)", len(lookup_ids))
    return len(lookup_ids)
