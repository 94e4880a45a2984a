"""message order: the provider's send time of an inbound message, the drain's order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)
PENDING = "direction = 'in' AND processed_at IS NULL"


def upgrade() -> None:
    op.add_column("message", sa.Column("provider_sent_at", UTC, nullable=True))
    # rows stored before: their arrival time is the order they were handled in
    op.execute("UPDATE message SET provider_sent_at = created_at WHERE direction = 'in'")
    op.drop_index("ix_message_inbound_pending", table_name="message")
    op.create_index(
        "ix_message_inbound_pending",
        "message",
        ["sender", "recipient", "provider_sent_at", "id"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_message_inbound_pending", table_name="message")
    op.create_index(
        "ix_message_inbound_pending",
        "message",
        ["sender", "recipient", "id"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    op.drop_column("message", "provider_sent_at")
