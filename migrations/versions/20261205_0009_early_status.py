"""early delivery statuses: a report that came before the send recorded the provider's id

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message_status_early",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_message_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("error_message", sa.String(length=300), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_status_early")),
    )
    op.create_index(
        "ix_message_status_early_sid",
        "message_status_early",
        ["provider", "provider_message_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_message_status_early_sid", table_name="message_status_early")
    op.drop_table("message_status_early")
