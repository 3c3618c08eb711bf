"""portal: follow-up (mailboxes, attachment outbox, receipt expiry and status)

Revision ID: portal_0002
Revises: portal_0001
Create Date: 2026-11-24

Written from ``portal.models`` and checked against autogenerate:
- ``receipts``: the public key becomes nullable (dropped when a receipt expires; the row stays
  as a tombstone), plus ``expired_at``, the coarse ``status`` and an index on
  ``last_activity_at`` for the expiry purge. SQLite changes nullability by copying the table
  (batch mode); nothing refers to ``receipts`` yet at that point.
- ``outbox_envelopes.report_envelope_id``: for a reply, the report it follows.
- new ``outbox_attachments`` (sealed files, relayed like envelopes) and ``mailbox_messages``
  (messages sealed to a reporter's key).
- runs on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "portal_0002"
down_revision: str | Sequence[str] | None = "portal_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_envelopes") as batch:
        batch.add_column(sa.Column("report_envelope_id", sa.String(length=36), nullable=True))
        batch.create_index(
            batch.f("ix_outbox_envelopes_report_envelope_id"), ["report_envelope_id"], unique=False
        )

    with op.batch_alter_table("receipts") as batch:
        batch.alter_column("public_key", existing_type=sa.LargeBinary(), nullable=True)
        batch.add_column(sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(
            batch.f("ix_receipts_last_activity_at"), ["last_activity_at"], unique=False
        )

    op.create_table(
        "outbox_attachments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("envelope_id", sa.String(length=36), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enqueue_count", sa.Integer(), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["envelope_id"],
            ["outbox_envelopes.id"],
            name=op.f("fk_outbox_attachments_envelope_id_outbox_envelopes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachments")),
    )
    op.create_index(
        op.f("ix_outbox_attachments_envelope_id"),
        "outbox_attachments",
        ["envelope_id"],
        unique=False,
    )
    # Serves the relay, as for envelopes.
    op.create_index(
        "ix_outbox_attachments_relay",
        "outbox_attachments",
        ["acked_at", "last_enqueued_at"],
        unique=False,
    )

    op.create_table(
        "mailbox_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("receipt_lookup_id", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["receipt_lookup_id"],
            ["receipts.lookup_id"],
            name=op.f("fk_mailbox_messages_receipt_lookup_id_receipts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_messages")),
    )
    op.create_index(
        op.f("ix_mailbox_messages_receipt_lookup_id"),
        "mailbox_messages",
        ["receipt_lookup_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mailbox_messages_receipt_lookup_id"), table_name="mailbox_messages")
    op.drop_table("mailbox_messages")
    op.drop_index("ix_outbox_attachments_relay", table_name="outbox_attachments")
    op.drop_index(op.f("ix_outbox_attachments_envelope_id"), table_name="outbox_attachments")
    op.drop_table("outbox_attachments")
    # Tombstones have no public key and cannot go back into the old table.
    op.execute(sa.text("DELETE FROM receipts WHERE public_key IS NULL"))
    with op.batch_alter_table("receipts") as batch:
        batch.drop_index(batch.f("ix_receipts_last_activity_at"))
        batch.drop_column("status_changed_at")
        batch.drop_column("status")
        batch.drop_column("expired_at")
        batch.alter_column("public_key", existing_type=sa.LargeBinary(), nullable=False)
    # Plain ALTER (SQLite 3.35+): copying this table would trip the receipts' foreign key.
    op.drop_index(op.f("ix_outbox_envelopes_report_envelope_id"), table_name="outbox_envelopes")
    op.drop_column("outbox_envelopes", "report_envelope_id")
