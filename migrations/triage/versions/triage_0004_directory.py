"""Units, organizations and routing: the directory, referral links, on-call contacts, routing
rules; queue items learn their kind, organization, verification and why they were routed.

Revision ID: triage_0004
Revises: triage_0003
Create Date: 2026-11-23

Reviewed by hand from autogenerate. Only hashes of referral-link tokens are stored. Existing
items were all queued to the default unit before routing existed: they get ``kind = report``
and a route reason saying so. The unit with slug ``default`` (if any) becomes the default unit;
a partial unique index keeps it the only one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "triage_0004"
down_revision: str | Sequence[str] | None = "triage_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE_ROUTING = [{"rule": "default", "text": "Queued before routing rules existed; default unit"}]


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=63), nullable=False),  # the slug
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.String(length=63), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        _utc("created_at"),
        sa.CheckConstraint(
            "kind IN ('school', 'district', 'college', 'employer', 'agency', 'other')",
            name="ck_organizations_kind",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["organizations.id"], name="fk_organizations_parent_id_organizations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_organizations"),
    )
    op.create_index("ix_organizations_parent_id", "organizations", ["parent_id"])

    op.create_table(
        "referral_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=63), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _utc("created_at"),
        _utc("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_referral_tokens_organization_id_organizations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_referral_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_referral_tokens_token_hash"),
    )
    op.create_index("ix_referral_tokens_organization_id", "referral_tokens", ["organization_id"])

    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("match", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        _utc("created_at"),
        sa.CheckConstraint(
            "kind IN ('organization', 'place', 'category')", name="ck_routing_rules_kind"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_routing_rules_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_routing_rules"),
    )
    op.create_index("ix_routing_rules_unit_id", "routing_rules", ["unit_id"])

    op.create_table(
        "unit_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        _utc("created_at"),
        sa.CheckConstraint(
            "channel IN ('email', 'webhook', 'phone')", name="ck_unit_contacts_channel"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_unit_contacts_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_unit_contacts"),
    )
    op.create_index("ix_unit_contacts_unit_id", "unit_contacts", ["unit_id"])

    # Plain ADD COLUMNs (no batch): on SQLite a batch would rebuild these tables, and rebuilding
    # a table that other tables' rows point to fails with foreign keys enforced.
    op.add_column(
        "queue_items",
        sa.Column("kind", sa.String(length=10), server_default="report", nullable=False),
    )
    op.add_column("queue_items", sa.Column("organization_id", sa.String(length=63), nullable=True))
    op.add_column("queue_items", sa.Column("verified", sa.Boolean(), nullable=True))
    op.add_column(
        "queue_items",
        sa.Column("route_reasons", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )
    items = sa.table("queue_items", sa.column("route_reasons", sa.JSON()))
    op.execute(items.update().values(route_reasons=BEFORE_ROUTING))
    if op.get_bind().dialect.name != "sqlite":
        # SQLite cannot add a CHECK without rebuilding the table (see above); the intake code
        # writes only these two values.
        op.create_check_constraint(
            "ck_queue_items_kind", "queue_items", "kind IN ('report', 'referral')"
        )

    op.add_column(
        "units",
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    units = sa.table("units", sa.column("slug", sa.String()), sa.column("is_default", sa.Boolean()))
    op.execute(units.update().where(units.c.slug == "default").values(is_default=True))
    op.create_index(
        "uq_units_is_default",
        "units",
        ["is_default"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )


def downgrade() -> None:
    op.drop_index("uq_units_is_default", table_name="units")
    op.drop_column("units", "is_default")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_queue_items_kind", "queue_items", type_="check")
    for column in ("route_reasons", "verified", "organization_id", "kind"):
        op.drop_column("queue_items", column)
    op.drop_index("ix_unit_contacts_unit_id", table_name="unit_contacts")
    op.drop_table("unit_contacts")
    op.drop_index("ix_routing_rules_unit_id", table_name="routing_rules")
    op.drop_table("routing_rules")
    op.drop_index("ix_referral_tokens_organization_id", table_name="referral_tokens")
    op.drop_table("referral_tokens")
    op.drop_index("ix_organizations_parent_id", table_name="organizations")
    op.drop_table("organizations")
