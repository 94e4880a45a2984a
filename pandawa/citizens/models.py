from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pandawa.core.extensions import db
from pandawa.core.sqltypes import JSONDoc, UTCDateTime


class Contact(db.Model):
    """A citizen, keyed on the provider's sender id (`whatsapp:+62…`, or a WhatsApp username)."""

    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("provider", "address"),
        # the supervisors' list of blocked numbers (few rows among millions)
        Index(
            "ix_contact_blocked_at",
            "blocked_at",
            postgresql_where=text("blocked_at IS NOT NULL"),
            sqlite_where=text("blocked_at IS NOT NULL"),
        ),
        # search (tickets/search.py): any part of a name or of the number, PostgreSQL only
        # (pg_trgm); the number is searched where it is already stored, no copy of it is kept
        Index(
            "ix_contact_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_contact_address_trgm",
            "address",
            postgresql_using="gin",
            postgresql_ops={"address": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    wa_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # set when the citizen's data was erased (UU 27/2022); `address` then holds no number
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the citizen wrote `berhenti`/`stop`: no notification or template that is not an answer
    # to them (citizens.consent); `mulai`/`start` opts back in. Both stamps are kept: opted
    # out while opted_out_at is later than opted_in_at (or there is no opted_in_at)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opt_out_method: Mapped[str | None] = mapped_column(String(32))  # e.g. "keyword:berhenti"
    opted_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opt_in_method: Mapped[str | None] = mapped_column(String(32))  # e.g. "keyword:mulai"
    # blocked by staff (abuse, prank floods): messages stored, never answered nor queued
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    blocked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class Conversation(db.Model):
    """One citizen talking to one of our sender numbers; the bot's state lives here."""

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("contact_id", "channel_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    # our sender id the citizen wrote to
    channel_address: Mapped[str] = mapped_column(String(128))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    state: Mapped[str] = mapped_column(String(32), default="idle")
    state_data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # the 24-hour WhatsApp window opens with each citizen message
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship(lazy="joined", innerjoin=True)
