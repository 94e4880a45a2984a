"""dashboard figures: SLA breaches, transfers, reopening templates; range index; snapshots

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 06:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import pandawa.core.sqltypes

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(
            sa.Column("sla_breached_at", pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("transfer_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("reopen_templates_sent", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("reopen_templates_answered", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index("ix_ticket_created_at", "ticket", ["created_at", "id"])
    op.create_index(
        "ix_ticket_first_response_at",
        "ticket",
        ["first_response_at"],
        postgresql_where=sa.text("first_response_at IS NOT NULL"),
        sqlite_where=sa.text("first_response_at IS NOT NULL"),
    )
    op.create_table(
        "figures_snapshot",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("computed_at", pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_figures_snapshot")),
    )


def downgrade() -> None:
    op.drop_table("figures_snapshot")
    op.drop_index("ix_ticket_first_response_at", table_name="ticket")
    op.drop_index("ix_ticket_created_at", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("reopen_templates_answered")
        batch.drop_column("reopen_templates_sent")
        batch.drop_column("transfer_count")
        batch.drop_column("sla_breached_at")
