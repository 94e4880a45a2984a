"""supervisor scopes: an office's supervisory region, and the offices/regions a supervisor sees

`office.region` (from the catalogue's `region`, indexed: a regional scope selects offices by
it) and `user_scope` (one office or one region per row; a supervisor without rows is
agency-wide, as before); `ix_ticket_office_status` for the open tickets of a scoped
supervisor's offices.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0014"
down_revision = "0017"
branch_labels = None
depends_on = None

UTC_TYPE = pandawa.core.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("office") as batch:
        batch.add_column(sa.Column("region", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_office_region"), "office", ["region"])
    op.create_table(
        "user_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC_TYPE, nullable=False),
        sa.CheckConstraint(
            "(office_id IS NULL) <> (region IS NULL)",
            name=op.f("ck_user_scope_office_or_region"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_scope_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
            name=op.f("fk_user_scope_office_id_office"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_scope")),
        sa.UniqueConstraint("user_id", "office_id", name=op.f("uq_user_scope_user_id_office_id")),
        sa.UniqueConstraint("user_id", "region", name=op.f("uq_user_scope_user_id_region")),
    )
    op.create_index("ix_user_scope_user_id", "user_scope", ["user_id"])
    # a scoped supervisor's board and lists: open tickets of her offices, per queue
    op.create_index("ix_ticket_office_status", "ticket", ["office_id", "status", "queue_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_office_status", table_name="ticket")
    op.drop_index("ix_user_scope_user_id", table_name="user_scope")
    op.drop_table("user_scope")
    op.drop_index(op.f("ix_office_region"), table_name="office")
    with op.batch_alter_table("office") as batch:
        batch.drop_column("region")
