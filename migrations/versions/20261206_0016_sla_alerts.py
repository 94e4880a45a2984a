"""SLA alerts, SP4N-LAPOR templates and the queue settings page (issue 17)

`sla_alert`: one row per ticket, kind (first_response, resolution) and level (80, 100),
unique, so two beats write one. `queue` gains its resolution target, a service-standard
template, the idle-return minutes (30, the constant tickets/returns.py used) and the time the
settings page last changed it. A user may give an e-mail address and a WhatsApp number for
alerts; `sla_alert_notice` keeps each alert notice to send once.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0016"
down_revision = "0019"
branch_labels = None
depends_on = None

UTC = pandawa.core.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("queue") as batch:
        batch.add_column(sa.Column("resolution_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sla_template", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("idle_return_minutes", sa.Integer(), server_default="30", nullable=False)
        )
        batch.add_column(sa.Column("settings_edited_at", UTC, nullable=True))
    op.create_table(
        "sla_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("crossed_at", UTC, nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("waited_seconds", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('first_response', 'resolution')", name=op.f("ck_sla_alert_kind_known")
        ),
        sa.CheckConstraint("level IN (80, 100)", name=op.f("ck_sla_alert_level_known")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_sla_alert_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queue.id"], name=op.f("fk_sla_alert_queue_id_queue")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_sla_alert_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["user_account.id"],
            name=op.f("fk_sla_alert_acknowledged_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_alert")),
        sa.UniqueConstraint(
            "ticket_id", "kind", "level", name=op.f("uq_sla_alert_ticket_kind_level")
        ),
    )
    op.create_index(
        "ix_sla_alert_active",
        "sla_alert",
        ["crossed_at", "id"],
        postgresql_where=sa.text("acknowledged_at IS NULL"),
        sqlite_where=sa.text("acknowledged_at IS NULL"),
    )
    op.create_index("ix_sla_alert_queue_crossed", "sla_alert", ["queue_id", "crossed_at"])
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("alert_email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("alert_whatsapp", sa.String(length=32), nullable=True))
    op.create_table(
        "sla_alert_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["sla_alert.id"],
            name=op.f("fk_sla_alert_notice_alert_id_sla_alert"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_sla_alert_notice_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_alert_notice")),
        sa.UniqueConstraint(
            "alert_id", "user_id", "channel", name=op.f("uq_sla_alert_notice_alert_user_channel")
        ),
    )


def downgrade() -> None:
    op.drop_table("sla_alert_notice")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("alert_whatsapp")
        batch.drop_column("alert_email")
    op.drop_index("ix_sla_alert_queue_crossed", table_name="sla_alert")
    op.drop_index("ix_sla_alert_active", table_name="sla_alert")
    op.drop_table("sla_alert")
    with op.batch_alter_table("queue") as batch:
        batch.drop_column("settings_edited_at")
        batch.drop_column("idle_return_minutes")
        batch.drop_column("sla_template")
        batch.drop_column("resolution_seconds")
