"""the figures' "reopened" count: a partial index of the reopened tickets' events

`pandawa.reports.figures` counts the tickets of a range that were reopened after a resolution
(`ticket.id IN (SELECT ticket_id FROM ticket_event WHERE kind = 'reopened')`); this index
holds only those few rows, so the count reads them at once instead of every event. On a large
`ticket_event` an operator may build it beforehand without locking writes:
`CREATE INDEX CONCURRENTLY ix_ticket_event_reopened ON ticket_event (ticket_id)
WHERE kind = 'reopened'`; the migration then finds it.

Revision ID: 0021
Revises: 0013
Create Date: 2026-12-06 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_ticket_event_reopened",
        "ticket_event",
        ["ticket_id"],
        postgresql_where=sa.text("kind = 'reopened'"),
        sqlite_where=sa.text("kind = 'reopened'"),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_event_reopened", table_name="ticket_event")
