"""The portal database: the transactional outbox of sealed envelopes, and receipts.

The portal is the source of truth for what it has accepted. A report is committed here (sealed)
before the reporter sees "received"; Redis only carries it to triage, and the relay re-sends
anything triage has not acknowledged. Nothing in these tables is readable without the unit's
private key: the envelope is sealed, and a receipt holds only a lookup id and the reporter's
public key, both derived from a code the portal never stores.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tipline.dbtypes import UTCDateTime, utcnow

# Re-exported for the models and migrations that name them here.
__all__ = ["UTCDateTime", "utcnow"]


NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OutboxEnvelope(Base):
    """One sealed envelope waiting for (or already given) triage's acknowledgement."""

    __tablename__ = "outbox_envelopes"

    # The envelope id (uuid4); also sealed inside the report document.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # What the envelope carries ("report"; follow-up replies later).
    purpose: Mapped[str] = mapped_column(String(20))
    # Sealed bytes: readable only by the unit's triage side.
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    enqueue_count: Mapped[int] = mapped_column(Integer, default=0)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ack_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)

    __table_args__ = (
        # The relay asks: not acknowledged, and never enqueued or enqueued long ago.
        Index("ix_outbox_envelopes_relay", "acked_at", "last_enqueued_at"),
    )


class Receipt(Base):
    """What the portal keeps of a receipt code: never the code itself.

    ``lookup_id`` and ``public_key`` are derived from the code with Argon2id and a secret pepper
    (see ``portal.receipts``). Officers' messages will be sealed to ``public_key``, so only the
    holder of the code can read them.
    """

    __tablename__ = "receipts"

    lookup_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The reporter's X25519 public key (32 raw bytes).
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    envelope_id: Mapped[str] = mapped_column(ForeignKey("outbox_envelopes.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
