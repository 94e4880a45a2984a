"""task outbox: background work written in the request's transaction, published by the dispatcher

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import pandawa.core.sqltypes

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "task_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("args", JSON, nullable=False),
        sa.Column("options", JSON, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("published_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_outbox")),
    )
    op.create_index(
        "ix_task_outbox_unpublished",
        "task_outbox",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # one NOTIFY per inserting statement wakes the dispatcher; delivered at commit, and
        # folded into one per transaction however many rows it wrote
        op.execute(
            """
            CREATE FUNCTION pandawa_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('pandawa_outbox', '');
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER task_outbox_notify AFTER INSERT ON task_outbox "
            "FOR EACH STATEMENT EXECUTE FUNCTION pandawa_outbox_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS task_outbox_notify ON task_outbox")
        op.execute("DROP FUNCTION IF EXISTS pandawa_outbox_notify()")
    op.drop_index("ix_task_outbox_unpublished", table_name="task_outbox")
    op.drop_table("task_outbox")
