"""Follow-up: the conversation with reporters (sealed messages both ways) and sealed attachments.

Revision ID: triage_0003
Revises: triage_0001
Create Date: 2026-11-23

Reviewed by hand from autogenerate. Every content column is sealed (``unit_copy``,
``outbound``, ``attachments.sealed``); ``queue_items`` gains only the flags the queue sorts and
badges by. New ``queue_items`` columns have server defaults, so existing rows need no backfill.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "triage_0003"
down_revision: str | Sequence[str] | None = "triage_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        _utc("received_at"),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        _utc("created_at"),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("unit_copy", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=80), nullable=False),
        sa.Column("outbound", sa.LargeBinary(), nullable=True),
        _utc("last_sent_at", nullable=True),
        sa.Column("send_count", sa.Integer(), server_default="0", nullable=False),
        _utc("delivered_at", nullable=True),
        sa.Column("delivery_outcome", sa.String(length=20), nullable=True),
        sa.Column("envelope_id", sa.String(length=36), nullable=True),
        _utc("read_at", nullable=True),
        sa.CheckConstraint(
            "direction IN ('to_reporter', 'from_reporter')", name="ck_messages_direction"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["queue_items.id"], name="fk_messages_item_id_queue_items"
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name="fk_messages_officer_id_officers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint("envelope_id", name="uq_messages_envelope_id"),
    )
    # An item's conversation in order; also the "answered after the question" statistics.
    op.create_index("ix_messages_item_created", "messages", ["item_id", "created_at"])

    with op.batch_alter_table("queue_items") as batch_op:
        batch_op.add_column(
            sa.Column("awaiting_reporter", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("unread_replies", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reporter_replied_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "reporter_unreachable", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("queue_items") as batch_op:
        batch_op.drop_column("reporter_unreachable")
        batch_op.drop_column("reporter_replied_at")
        batch_op.drop_column("unread_replies")
        batch_op.drop_column("awaiting_reporter")
    op.drop_index("ix_messages_item_created", table_name="messages")
    op.drop_table("messages")
    op.drop_table("attachments")
