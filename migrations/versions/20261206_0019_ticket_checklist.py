"""a ticket's eligibility checklist: each check's answer and each document's stored message

Issue 17, item 10: the catalogue's services list required documents and yes/no checks; the bot
walks the citizen through them before the handoff and the ticket keeps the result here.

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_checklist_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text_id", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("media_index", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('document', 'check')", name=op.f("ck_ticket_checklist_item_kind_known")
        ),
        sa.CheckConstraint(
            "state IN ('met', 'not_met', 'received', 'skipped')",
            name=op.f("ck_ticket_checklist_item_state_known"),
        ),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('ya', 'tidak')",
            name=op.f("ck_ticket_checklist_item_answer_known"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_ticket_checklist_item_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_ticket_checklist_item_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_checklist_item")),
        sa.UniqueConstraint(
            "ticket_id", "position", name=op.f("uq_ticket_checklist_item_ticket_id_position")
        ),
    )


def downgrade() -> None:
    op.drop_table("ticket_checklist_item")
