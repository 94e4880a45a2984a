"""agent presence and capacity; a conversation's latest ticket

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("presence", sa.String(length=16), nullable=False, server_default="offline")
        )
        batch.add_column(sa.Column("capacity", sa.Integer(), nullable=False, server_default="5"))
        batch.create_check_constraint(
            op.f("ck_user_account_presence_known"), "presence IN ('online', 'away', 'offline')"
        )


    op.create_index(
        "ix_ticket_conversation_created", "ticket", ["conversation_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_conversation_created", table_name="ticket")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint(op.f("ck_user_account_presence_known"), type_="check")
        batch.drop_column("capacity")
        batch.drop_column("presence")
