"""contact opt-out and blocking: `berhenti`/`mulai` stamps, numbers blocked by staff

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    # batch mode: SQLite (the embedded default) cannot add a foreign key to a table in place
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("opted_out_at", UTC, nullable=True))
        batch.add_column(sa.Column("opt_out_method", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("opted_in_at", UTC, nullable=True))
        batch.add_column(sa.Column("opt_in_method", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("blocked_at", UTC, nullable=True))
        batch.add_column(sa.Column("blocked_reason", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("blocked_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_contact_blocked_by_id_user_account"),
            "user_account",
            ["blocked_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index(
        "ix_contact_blocked_at",
        "contact",
        ["blocked_at"],
        postgresql_where=sa.text("blocked_at IS NOT NULL"),
        sqlite_where=sa.text("blocked_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_contact_blocked_at", table_name="contact")
    with op.batch_alter_table("contact") as batch:
        batch.drop_constraint("fk_contact_blocked_by_id_user_account", type_="foreignkey")
        batch.drop_column("blocked_by_id")
        batch.drop_column("blocked_reason")
        batch.drop_column("blocked_at")
        batch.drop_column("opt_in_method")
        batch.drop_column("opted_in_at")
        batch.drop_column("opt_out_method")
        batch.drop_column("opted_out_at")
