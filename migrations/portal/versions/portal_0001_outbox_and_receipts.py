"""portal: outbox of sealed envelopes, and receipts

Revision ID: portal_0001
Revises:
Create Date: 2026-11-23

Generated with alembic autogenerate from ``portal.models`` and reviewed by hand:
- timestamps are plain ``DateTime(timezone=True)`` (``timestamptz`` on PostgreSQL; the model's
  ``UTCDateTime`` decorator handles SQLite, which has no time zones);
- constraint and index names follow ``portal.models.NAMING_CONVENTION``;
- runs on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "portal_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_envelopes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enqueue_count", sa.Integer(), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_outcome", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_envelopes")),
    )
    # Serves the relay: unacknowledged envelopes never enqueued or enqueued long ago.
    op.create_index(
        "ix_outbox_envelopes_relay",
        "outbox_envelopes",
        ["acked_at", "last_enqueued_at"],
        unique=False,
    )
    op.create_table(
        "receipts",
        sa.Column("lookup_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("envelope_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["envelope_id"],
            ["outbox_envelopes.id"],
            name=op.f("fk_receipts_envelope_id_outbox_envelopes"),
        ),
        sa.PrimaryKeyConstraint("lookup_id", name=op.f("pk_receipts")),
    )
    op.create_index(op.f("ix_receipts_envelope_id"), "receipts", ["envelope_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_receipts_envelope_id"), table_name="receipts")
    op.drop_table("receipts")
    op.drop_index("ix_outbox_envelopes_relay", table_name="outbox_envelopes")
    op.drop_table("outbox_envelopes")
