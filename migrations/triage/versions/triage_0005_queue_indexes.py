"""Index for the queue page's count of items with unread replies.

Revision ID: triage_0005
Revises: triage_0004
Create Date: 2026-11-23

Numbered 0002 as reserved for the benchmarks' index revision, but applied after triage_0004
(the head when it was written), so that there is one line of history. Without the index, the
queue page counted unread replies by reading every stored item of the unit: 0.2 s at 100,000
items, growing with the table (bench/queue_scale.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "triage_0005"
down_revision: str | Sequence[str] | None = "triage_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_queue_items_unit_unread", "queue_items", ["unit_id", "unread_replies"])


def downgrade() -> None:
    op.drop_index("ix_queue_items_unit_unread", table_name="queue_items")
