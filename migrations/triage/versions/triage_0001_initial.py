"""Initial triage schema: units, officers, queue items, dead letters, audit events, sessions.

Revision ID: triage_0001
Revises:
Create Date: 2026-11-23

Reviewed by hand from autogenerate. Timestamps are ``DateTime(timezone=True)``: timestamptz on
PostgreSQL; on SQLite, ``triage.models.UTCDateTime`` stores UTC and re-attaches the zone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "triage_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_units"),
        sa.UniqueConstraint("slug", name="uq_units_slug"),
    )
    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _utc("created_at"),
        _utc("last_login_at", nullable=True),
        sa.CheckConstraint("role IN ('officer', 'supervisor', 'admin')", name="ck_officers_role"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_officers_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_officers"),
        sa.UniqueConstraint("username", name="uq_officers_username"),
    )
    op.create_index("ix_officers_unit_id", "officers", ["unit_id"])

    op.create_table(
        "queue_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("envelope_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("tier", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        _utc("received_at"),
        _utc("due_at"),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sealed_body", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=80), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'in_review', 'decided', 'closed')", name="ck_queue_items_status"
        ),
        sa.CheckConstraint("tier IN ('P1', 'P2', 'P3', 'P4')", name="ck_queue_items_tier"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_queue_items_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_queue_items"),
        sa.UniqueConstraint("envelope_id", name="uq_queue_items_envelope_id"),
    )
    # The queue: a unit's items (of a status) by tier, then due time.
    op.create_index(
        "ix_queue_items_unit_status_tier_due",
        "queue_items",
        ["unit_id", "status", "tier", "due_at"],
    )

    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("envelope_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        _utc("received_at"),
        sa.Column("error_kind", sa.String(length=40), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("raw_envelope", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_dead_letters_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
        sa.UniqueConstraint("envelope_id", name="uq_dead_letters_envelope_id"),
    )
    op.create_index("ix_dead_letters_unit_id", "dead_letters", ["unit_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        _utc("at"),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["queue_items.id"], name="fk_audit_events_item_id_queue_items"
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name="fk_audit_events_officer_id_officers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_item_at", "audit_events", ["item_id", "at"])
    op.create_index("ix_audit_events_officer_id", "audit_events", ["officer_id"])

    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        _utc("created_at"),
        _utc("last_seen_at"),
        _utc("expires_at"),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name="fk_web_sessions_officer_id_officers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    op.create_index("ix_web_sessions_officer_id", "web_sessions", ["officer_id"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("audit_events")
    op.drop_table("dead_letters")
    op.drop_table("queue_items")
    op.drop_table("officers")
    op.drop_table("units")
