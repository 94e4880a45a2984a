"""provider message ids up to 128 characters (Meta's `wamid.…` ids outgrow 64)

A Cloud API message id is `wamid.` and a base64 string; ids of 80–100 characters are common.
Widening a varchar is a catalogue change in PostgreSQL (no table rewrite, indexes kept).

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLES = ("message", "message_status_early")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "provider_message_id",
                existing_type=sa.String(length=64),
                type_=sa.String(length=128),
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "provider_message_id",
                existing_type=sa.String(length=128),
                type_=sa.String(length=64),
            )
