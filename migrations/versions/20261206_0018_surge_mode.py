"""surge mode: a queue's live capacity, its surge state and rule; tickets deferred by a surge

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)
DEFERRED = "status = 'deferred'"


def upgrade() -> None:
    with op.batch_alter_table("queue") as batch:
        batch.add_column(sa.Column("live_capacity", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("surge_since", UTC, nullable=True))
        batch.add_column(sa.Column("surge_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("surge_auto_ratio", sa.Double(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_queue_live_capacity_positive"), "live_capacity IS NULL OR live_capacity >= 1"
        )
        batch.create_check_constraint(
            op.f("ck_queue_surge_auto_ratio_positive"),
            "surge_auto_ratio IS NULL OR surge_auto_ratio > 0",
        )
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("surge_deferred_at", UTC, nullable=True))
    op.create_index(
        "ix_ticket_deferred_queue",
        "ticket",
        ["queue_id", "created_at", "id"],
        postgresql_where=sa.text(DEFERRED),
        sqlite_where=sa.text(DEFERRED),
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_deferred_queue", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("surge_deferred_at")
    with op.batch_alter_table("queue") as batch:
        batch.drop_constraint(op.f("ck_queue_surge_auto_ratio_positive"), type_="check")
        batch.drop_constraint(op.f("ck_queue_live_capacity_positive"), type_="check")
        batch.drop_column("surge_auto_ratio")
        batch.drop_column("surge_by")
        batch.drop_column("surge_since")
        batch.drop_column("live_capacity")
