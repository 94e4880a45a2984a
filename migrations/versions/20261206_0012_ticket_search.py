"""ticket search: trigram indexes on names, numbers and ticket numbers; full text on messages

PostgreSQL only (pg_trgm, GIN): the embedded default (SQLite) searches with LIKE and gets no
index here; the models declare these indexes with `.ddl_if(dialect="postgresql")`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:12:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = (
    ("ix_contact_name_trgm", "contact", "name"),
    ("ix_contact_address_trgm", "contact", "address"),
    ("ix_ticket_number_trgm", "ticket", "number"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        op.create_index(
            name,
            table,
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            if_not_exists=True,  # an operator may have built it beforehand, CONCURRENTLY
        )
    # `simple`: no stemming and no stop words, words found as written (`gmn`, `sy`, `tdk`);
    # the `indonesian` stemmer cuts names to other words (Megawati → gawat). Not partial:
    # PostgreSQL keeps and uses word statistics only for an expression index without WHERE
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_message_body_fts ON message "
        "USING gin (to_tsvector('simple'::regconfig, body))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_message_body_fts", table_name="message")
    for name, table, _column in reversed(TRIGRAM_INDEXES):
        op.drop_index(name, table_name=table)
    # the extension stays: dropping it could break what others built on it
