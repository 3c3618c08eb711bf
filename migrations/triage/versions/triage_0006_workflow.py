"""The intake workflow: claims, dispositions, alerts and notifications, related-report links
(blind indexes and text signatures), and the hash-chained audit log.

Revision ID: triage_0006
Revises: triage_0005
Create Date: 2026-11-23

Reviewed by hand from autogenerate. No identifier or narrative is stored in clear: blind
indexes are keyed HMACs, text signatures keyed MinHash values, decision notes sealed. Existing
items get ``scored_tier = tier``. Existing audit events are chained by ``triage.audit`` the first
time an event is appended (the chain's key is a secret the migration does not hold).

Triggers (the block at the end) make ``audit_events`` append-only on both backends: no DELETE,
no UPDATE except chaining a pre-chain row once, no INSERT without a ``seq``; ``audit_head``
cannot be deleted or moved backwards. They stop the application and careless hands, not a
database superuser: ``tipline audit verify`` detects what they cannot prevent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "triage_0006"
down_revision: str | Sequence[str] | None = "triage_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("next_step_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('life_safety', 'sla_warning', 'sla_breach')", name=op.f("ck_alerts_kind")
        ),
        sa.CheckConstraint(
            "status IN ('paging', 'acknowledged', 'exhausted', 'done')",
            name=op.f("ck_alerts_status"),
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["officers.id"],
            name=op.f("fk_alerts_acknowledged_by_id_officers"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["queue_items.id"], name=op.f("fk_alerts_item_id_queue_items")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_alerts_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_status_next", ["status", "next_step_at"], unique=False)
        batch_op.create_index("uq_alerts_item_kind", ["item_id", "kind"], unique=True)

    op.create_table(
        "blind_indexes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["queue_items.id"], name=op.f("fk_blind_indexes_item_id_queue_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blind_indexes")),
    )
    with op.batch_alter_table("blind_indexes", schema=None) as batch_op:
        batch_op.create_index("ix_blind_indexes_kind_digest", ["kind", "digest"], unique=False)
        batch_op.create_index(
            "uq_blind_indexes_item_kind_digest", ["item_id", "kind", "digest"], unique=True
        )

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disposition", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("sealed_note", sa.LargeBinary(), nullable=True),
        sa.Column("note_key_id", sa.String(length=80), nullable=True),
        sa.CheckConstraint(
            "disposition IN ('emergency_response', 'open_case', 'refer_partner', 'monitor',"
            " 'no_further_action')",
            name=op.f("ck_decisions_disposition"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["queue_items.id"], name=op.f("fk_decisions_item_id_queue_items")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_decisions_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_item_at", ["item_id", "at"], unique=False)

    op.create_table(
        "item_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_a_id", sa.Integer(), nullable=False),
        sa.Column("item_b_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("source IN ('auto', 'manual')", name=op.f("ck_item_links_source")),
        sa.CheckConstraint("item_a_id < item_b_id", name=op.f("ck_item_links_ordered")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["officers.id"], name=op.f("fk_item_links_created_by_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["item_a_id"], ["queue_items.id"], name=op.f("fk_item_links_item_a_id_queue_items")
        ),
        sa.ForeignKeyConstraint(
            ["item_b_id"], ["queue_items.id"], name=op.f("fk_item_links_item_b_id_queue_items")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"], ["officers.id"], name=op.f("fk_item_links_removed_by_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_links")),
    )
    with op.batch_alter_table("item_links", schema=None) as batch_op:
        batch_op.create_index("ix_item_links_b", ["item_b_id"], unique=False)
        batch_op.create_index("uq_item_links_pair", ["item_a_id", "item_b_id"], unique=True)

    op.create_table(
        "text_signatures",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["queue_items.id"], name=op.f("fk_text_signatures_item_id_queue_items")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_text_signatures")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("ack_token_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_notifications_status")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_notifications_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["unit_contacts.id"],
            name=op.f("fk_notifications_contact_id_unit_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("ack_token_hash", name=op.f("uq_notifications_ack_token_hash")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(
            "ix_notifications_status_next", ["status", "next_attempt_at"], unique=False
        )

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])

    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=20), server_default="web", nullable=False)
        )
        batch_op.add_column(sa.Column("scored_tier", sa.String(length=2), nullable=True))
        batch_op.add_column(
            sa.Column("tier_overridden", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("claimed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("first_reviewed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("disposition", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("review_on", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_queue_items_claimed_by_id"), ["claimed_by_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_queue_items_claimed_by_id_officers"),
            "officers",
            ["claimed_by_id"],
            ["id"],
        )

    with op.batch_alter_table("unit_contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=20), server_default="on_call", nullable=False)
        )
        batch_op.create_check_constraint(
            "ck_unit_contacts_purpose", "purpose IN ('on_call', 'supervisor')"
        )

    op.execute("UPDATE queue_items SET scored_tier = tier")
    _create_audit_triggers()


def downgrade() -> None:
    _drop_audit_triggers()
    with op.batch_alter_table("unit_contacts", schema=None) as batch_op:
        batch_op.drop_constraint("ck_unit_contacts_purpose", type_="check")
        batch_op.drop_column("purpose")

    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_queue_items_claimed_by_id_officers"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_queue_items_claimed_by_id"))
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("warned_at")
        batch_op.drop_column("review_on")
        batch_op.drop_column("disposition")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("first_reviewed_at")
        batch_op.drop_column("claim_expires_at")
        batch_op.drop_column("claimed_by_id")
        batch_op.drop_column("tier_overridden")
        batch_op.drop_column("scored_tier")
        batch_op.drop_column("channel")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_next")
        batch_op.drop_index(batch_op.f("ix_notifications_alert_id"))

    op.drop_table("notifications")
    op.drop_table("text_signatures")
    with op.batch_alter_table("item_links", schema=None) as batch_op:
        batch_op.drop_index("uq_item_links_pair")
        batch_op.drop_index("ix_item_links_b")

    op.drop_table("item_links")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_item_at")

    op.drop_table("decisions")
    with op.batch_alter_table("blind_indexes", schema=None) as batch_op:
        batch_op.drop_index("uq_blind_indexes_item_kind_digest")
        batch_op.drop_index("ix_blind_indexes_kind_digest")

    op.drop_table("blind_indexes")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("uq_alerts_item_kind")
        batch_op.drop_index("ix_alerts_status_next")

    op.drop_table("alerts")
    op.drop_table("audit_head")


# --- Audit log: append-only triggers ---------------------------------------------------------
# Same rules on both backends. An UPDATE is allowed only to chain an event stored before the
# chain existed (its seq was empty, and nothing but seq/prev_hash/hash changes); audit_head only
# moves forward. TRUNCATE is not a row operation and is not blocked (the test suite empties
# tables between tests; a truncated log is caught by `tipline audit verify --anchor`).

_PG_AUDIT = [
    """
    CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.seq IS NULL OR NEW.hash IS NULL OR NEW.prev_hash IS NULL THEN
                RAISE EXCEPTION 'audit_events: an event must be chained when inserted';
            END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
            AND NEW.id = OLD.id AND NEW.at = OLD.at
            AND NEW.officer_id IS NOT DISTINCT FROM OLD.officer_id
            AND NEW.action = OLD.action
            AND NEW.item_id IS NOT DISTINCT FROM OLD.item_id
            AND NEW.detail::text = OLD.detail::text THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
    END $$
    """,
    """
    CREATE TRIGGER audit_events_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """,
    """
    CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.id = OLD.id
            AND (NEW.seq > OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash = OLD.hash)) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_head only moves forward (% refused)', TG_OP;
    END $$
    """,
    """
    CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()
    """,
]

_SQLITE_AUDIT = [
    """
    CREATE TRIGGER audit_events_chained_insert BEFORE INSERT ON audit_events
    WHEN NEW.seq IS NULL OR NEW.hash IS NULL OR NEW.prev_hash IS NULL
    BEGIN SELECT RAISE(ABORT, 'audit_events: an event must be chained when inserted'); END
    """,
    """
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.id = OLD.id AND NEW.at = OLD.at
        AND NEW.officer_id IS OLD.officer_id AND NEW.action = OLD.action
        AND NEW.item_id IS OLD.item_id AND NEW.detail = OLD.detail)
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (DELETE refused)'); END
    """,
    """
    CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
    WHEN NOT (NEW.id = OLD.id
        AND (NEW.seq > OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash = OLD.hash)))
    BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward (DELETE refused)'); END
    """,
]


def _create_audit_triggers() -> None:
    statements = _PG_AUDIT if op.get_bind().dialect.name == "postgresql" else _SQLITE_AUDIT
    for statement in statements:
        op.execute(statement)


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head")
        op.execute("DROP FUNCTION IF EXISTS audit_head_forward_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
        return
    for name in (
        "audit_head_no_delete",
        "audit_head_forward_only",
        "audit_events_no_delete",
        "audit_events_no_update",
        "audit_events_chained_insert",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
