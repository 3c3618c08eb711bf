"""portal: the public organization directory published by triage

Revision ID: portal_0003
Revises: portal_0002
Create Date: 2026-11-25

Written from ``portal.models.DirectoryCopy`` and checked against autogenerate: one row (id 1)
holding the newest ``tipline.directory/1`` document and its version. Runs on SQLite and
PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "portal_0003"
down_revision: str | Sequence[str] | None = "portal_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory")),
    )


def downgrade() -> None:
    op.drop_table("directory")
