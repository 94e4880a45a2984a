"""emergency closure from the board: an override may close one queue of an office, and an undo
stamps the row (kept as the record) instead of deleting it

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    # batch mode: SQLite (the embedded default) cannot add a foreign key to a table in place
    with op.batch_alter_table("office_override") as batch:
        batch.add_column(sa.Column("queue_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("revoked_at", UTC, nullable=True))
        batch.add_column(sa.Column("revoked_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_office_override_queue_id_queue"),
            "queue",
            ["queue_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            batch.f("fk_office_override_revoked_by_id_user_account"),
            "user_account",
            ["revoked_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_check_constraint(
            op.f("ck_office_override_queue_only_closed"), "queue_id IS NULL OR kind = 'closed'"
        )


def downgrade() -> None:
    with op.batch_alter_table("office_override") as batch:
        batch.drop_constraint(op.f("ck_office_override_queue_only_closed"), type_="check")
        batch.drop_constraint("fk_office_override_revoked_by_id_user_account", type_="foreignkey")
        batch.drop_constraint("fk_office_override_queue_id_queue", type_="foreignkey")
        batch.drop_column("revoked_by_id")
        batch.drop_column("revoked_at")
        batch.drop_column("queue_id")
