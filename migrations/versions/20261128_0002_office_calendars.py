"""office calendars, waits in business time, 24-hour window

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 03:43:05.944347
"""

from alembic import op
import sqlalchemy as sa
import pandawa.core.sqltypes


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('office_closure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('closed', 'open')", name=op.f('ck_office_closure_kind_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_office_closure_actor_id_user_account')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_office_closure_office_id_office'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_closure')),
    sa.UniqueConstraint('office_id', 'day', name=op.f('uq_office_closure_office_id_day'))
    )
    op.create_table('office_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('starts_at', pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('open', 'closed')", name=op.f('ck_office_override_kind_known')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_office_override_ends_after_start')),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_office_override_actor_id_user_account')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_office_override_office_id_office'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_override'))
    )
    op.create_index('ix_office_override_office_id_ends_at', 'office_override', ['office_id', 'ends_at'], unique=False)
    op.add_column('ticket', sa.Column('wait_seconds', sa.Integer(), nullable=True))
    op.add_column('ticket', sa.Column('wait_business_seconds', sa.Integer(), nullable=True))
    op.add_column('ticket', sa.Column('reopen_template_sent_at', pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=True))
    op.add_column('ticket', sa.Column('closing_notice_at', pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=True))
    op.create_index('ix_ticket_deferred_release', 'ticket', ['office_id', 'created_at', 'id'], unique=False, postgresql_where=sa.text("status = 'deferred'"), sqlite_where=sa.text("status = 'deferred'"))
    op.create_index('ix_message_unsent_to', 'message', ['recipient', 'sender', 'id'], unique=False, postgresql_where=sa.text("direction = 'out' AND status IN ('pending', 'sending')"), sqlite_where=sa.text("direction = 'out' AND status IN ('pending', 'sending')"))
    op.create_index('ix_message_inbound_recent', 'message', ['sender', 'recipient', 'created_at'], unique=False, postgresql_where=sa.text("direction = 'in'"), sqlite_where=sa.text("direction = 'in'"))
    op.add_column('user_account', sa.Column('last_seen_at', pandawa.core.sqltypes.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # batch mode: SQLite drops columns by copying the table
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("last_seen_at")
    op.drop_index("ix_message_unsent_to", table_name="message")
    op.drop_index("ix_message_inbound_recent", table_name="message")
    op.drop_index("ix_ticket_deferred_release", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("closing_notice_at")
        batch.drop_column("reopen_template_sent_at")
        batch.drop_column("wait_business_seconds")
        batch.drop_column("wait_seconds")
    op.drop_index("ix_office_override_office_id_ends_at", table_name="office_override")
    op.drop_table("office_override")
    op.drop_table("office_closure")
