"""live events through the database when no REDIS_URL is set (the embedded `pandawa dev`);
the index behind the work list's "last message from the citizen"

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "live_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_event")),
    )
    op.create_index(op.f("ix_live_event_created_at"), "live_event", ["created_at"])
    # the console's work list shows each ticket's latest message from the citizen
    op.create_index(
        "ix_message_ticket_inbound",
        "message",
        ["ticket_id", "id"],
        postgresql_where=sa.text("direction = 'in'"),
        sqlite_where=sa.text("direction = 'in'"),
    )


def downgrade() -> None:
    op.drop_index("ix_message_ticket_inbound", table_name="message")
    op.drop_index(op.f("ix_live_event_created_at"), table_name="live_event")
    op.drop_table("live_event")
