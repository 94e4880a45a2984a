from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from pandawa.core.extensions import db
from pandawa.core.sqltypes import JSONDoc, UTCDateTime

# Delivery statuses of outbound messages, in the order they can only move forward.
# failed/undelivered are final; a late callback never moves a status backwards.
STATUS_RANK = {
    "pending": 0,
    "sending": 1,
    "accepted": 2,
    "queued": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "undelivered": 6,
    "failed": 6,
}
OUT_STATUSES = tuple(STATUS_RANK)
# dead: processing failed too often, parked (conversations.deadletter); never retried alone
IN_STATUSES = ("received", "processed", "dead")


class Message(db.Model):
    """Every message in and out. Outbound rows are the outbox: a row first, then a send task.

    The channel layer fills the provider fields; `conversation_id` and `ticket_id` are set by
    the conversation layer when it routes the message (channels never reads them).
    """

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("provider", "provider_message_id"),
        CheckConstraint("direction IN ('in', 'out')", name="direction_known"),
        # the per-conversation drain and the sweeper: unprocessed inbound messages in the
        # provider's order
        Index(
            "ix_message_inbound_pending",
            "sender",
            "recipient",
            "provider_sent_at",
            "id",
            postgresql_where=text("direction = 'in' AND processed_at IS NULL"),
            sqlite_where=text("direction = 'in' AND processed_at IS NULL"),
        ),
        # the outbox sweeper
        Index(
            "ix_message_outbox",
            "status",
            "updated_at",
            postgresql_where=text("direction = 'out' AND status IN ('pending', 'sending')"),
            sqlite_where=text("direction = 'out' AND status IN ('pending', 'sending')"),
        ),
        # "older unsent message to this citizen first" on every send
        Index(
            "ix_message_unsent_to",
            "recipient",
            "sender",
            "id",
            postgresql_where=text("direction = 'out' AND status IN ('pending', 'sending')"),
            sqlite_where=text("direction = 'out' AND status IN ('pending', 'sending')"),
        ),
        # flood control and idle tickets: a citizen's recent messages to one of our numbers
        Index(
            "ix_message_inbound_recent",
            "sender",
            "recipient",
            "created_at",
            postgresql_where=text("direction = 'in'"),
            sqlite_where=text("direction = 'in'"),
        ),
        Index("ix_message_ticket_id_id", "ticket_id", "id"),
        # the console's work list: each ticket's latest message from the citizen
        Index(
            "ix_message_ticket_inbound",
            "ticket_id",
            "id",
            postgresql_where=text("direction = 'in'"),
            sqlite_where=text("direction = 'in'"),
        ),
        Index("ix_message_conversation_id_id", "conversation_id", "id"),
        # search (tickets/search.py): words of a ticket's messages, PostgreSQL only. The
        # `simple` configuration: words matched as written, lower-cased (citizens write
        # `gmn`, `sy`, `tdk`); PostgreSQL's `indonesian` stemmer mangles names and conflates
        # words (Megawati → gawat, berikan → ikan) — see tickets/search.py.
        # Not partial: the planner uses an expression index's statistics (how common a word
        # is) only when the index has no WHERE, and without them it guesses wrong both ways
        Index(
            "ix_message_body_fts",
            text("to_tsvector('simple'::regconfig, body)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(16))
    # Twilio's 34-character SIDs, Meta's `wamid.…` (base64, up to ~100 characters)
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    # provider sender ids, e.g. "whatsapp:+6281234567890"
    sender: Mapped[str] = mapped_column(String(128))
    recipient: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text, default="")
    message_type: Mapped[str] = mapped_column(String(32), default="text")
    # [{"url", "content_type"}] inbound; location/contacts as structured data
    media: Mapped[list] = mapped_column(JSONDoc, default=list)
    extra: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # why an odd payload was stored but not understood ("unsupported type: …")
    flag: Mapped[str | None] = mapped_column(String(200))
    # templates (Content API) for outbound messages outside the 24-hour window
    content_sid: Mapped[str | None] = mapped_column(String(64))
    content_variables: Mapped[dict | None] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(default=0)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    is_internal_note: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # inbound: when the citizen sent it by the provider's clock (its order), or, when the
    # provider tells no time (Twilio), when it arrived here
    provider_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # outbound: when the last provider call began (a row stuck in `sending` is checked first)
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EarlyStatus(db.Model):
    """A delivery status that arrived before the send recorded the provider's message id: the
    provider can call back between answering our send and our commit of its id. Applied by
    `record_sent` (status.apply_early), pruned after a day by the outbox sweep."""

    __tablename__ = "message_status_early"
    __table_args__ = (Index("ix_message_status_early_sid", "provider", "provider_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
