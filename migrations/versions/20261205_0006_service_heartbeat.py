"""service heartbeat: when beat and the workers last showed they run (/readyz, the board)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 08:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_heartbeat",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_heartbeat")),
    )


def downgrade() -> None:
    op.drop_table("service_heartbeat")
