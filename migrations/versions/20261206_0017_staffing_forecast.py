"""staffing forecast: one stored forecast per office and local day; arrivals index

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-06 03:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import pandawa.core.sqltypes

revision = "0017"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staffing_forecast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("made_at", pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
            name=op.f("fk_staffing_forecast_office_id_office"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staffing_forecast")),
        sa.UniqueConstraint("office_id", "day", name=op.f("uq_staffing_forecast_office_id_day")),
    )
    # the forecast's and the board's arrivals: an office's tickets created in a range, by queue
    op.create_index(
        "ix_ticket_office_created", "ticket", ["office_id", "created_at", "queue_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_office_created", table_name="ticket")
    op.drop_table("staffing_forecast")
