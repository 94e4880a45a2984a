"""Routing inbound messages: one conversation at a time, in the provider's order.

Design (why a row lock, not a Redis lock): the database already holds the message, the
conversation and the state the bot changes, so a lock on the conversation row is taken and
released by the same transaction that writes the result — no lock can outlive a crashed
worker, no second system must be up, and it works the same with any number of workers on any
number of machines. Each pass takes the lock, processes the OLDEST unprocessed message of the
conversation (whatever message the task was about), marks it processed and commits; a task
whose message was already handled by another pass finds nothing and stops.

On PostgreSQL the lock is `SELECT … FOR UPDATE SKIP LOCKED`: a busy conversation makes the task
retry shortly instead of blocking a worker slot. SQLite has no row locks; there an UPDATE of the
conversation row takes the database write lock for the transaction, which serialises as well.

Order: "oldest" is the provider's order, `(provider_sent_at, id)` — when the citizen sent it
(Meta's timestamp, the simulator phone's clock) or, when the provider tells no time (Twilio),
when it arrived; the id breaks ties (messages stored in the same instant, in arrival order).
What that gives, and what it cannot:

- Two workers racing (two tasks of one conversation, a redelivery, the sweeper): only the lock
  holder handles; the other skips the locked row, retries after `BUSY_RETRY_SECONDS` and by then
  usually finds its message handled. Every pass picks the oldest pending message afresh (a new
  snapshot per statement, READ COMMITTED), so whichever worker holds the lock, the
  conversation's messages are handled one at a time in the provider's order.
- A message arriving while another worker drains the conversation: the drain picks it up in its
  place (before a later-sent message still pending, if the webhooks came out of order); if the
  drain had already finished, the message's own task handles it.
- A webhook for an EARLIER message arriving after a later one was handled (the provider's
  retries, networks reordering): what was answered cannot be taken back. The earlier message is
  handled next, after the later one, once and with its own reply. No waiting window reorders
  this, on purpose: it would add its length to every reply the citizen waits for, to fix a case
  that is rare and that the citizen sees the same way on any messaging service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.clock import now
from pandawa.hours.models import Office

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainResult:
    processed: int
    busy: bool


def insert_ignore(session: Session, model: type, values: dict, conflict: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either backend (safe when two workers race)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict))


def ensure_conversation(session: Session, message: Message) -> Conversation:
    """The citizen and the conversation a message belongs to, created on first contact."""
    at = now()
    insert_ignore(
        session,
        Contact,
        {
            "provider": message.provider,
            "address": message.sender,
            "wa_id": (message.extra or {}).get("WaId"),
            "name": (message.extra or {}).get("ProfileName"),
            "language": "id",
            "created_at": at,
        },
        ["provider", "address"],
    )
    contact_id = session.scalar(
        sa.select(Contact.id).where(
            Contact.provider == message.provider, Contact.address == message.sender
        )
    )
    insert_ignore(
        session,
        Conversation,
        {
            "contact_id": contact_id,
            "channel_address": message.recipient,
            "office_id": _office_for(session, message.recipient),
            "state": "idle",
            "state_data": {},
            "created_at": at,
            "updated_at": at,
        },
        ["contact_id", "channel_address"],
    )
    return session.scalars(
        sa.select(Conversation).where(
            Conversation.contact_id == contact_id, Conversation.channel_address == message.recipient
        )
    ).one()


def _office_for(session: Session, address: str) -> int | None:
    """The office whose sender number the citizen wrote to; else the first active office.

    When one number serves several offices the first is a placeholder: the bot asks the
    citizen's region (a later step) and stores the office on the conversation.
    """
    return session.scalar(
        sa.select(Office.id)
        .where(Office.is_active)
        .order_by((Office.whatsapp_address != address), Office.id)
        .limit(1)
    )


def lock_conversation(session: Session, conversation_id: int) -> Conversation | None:
    """Lock the conversation row for this transaction; None when another worker holds it."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalars(
            sa.select(Conversation)
            .where(Conversation.id == conversation_id)
            .with_for_update(skip_locked=True, key_share=True)
            .execution_options(populate_existing=True)
        ).one_or_none()
    session.execute(
        sa.update(Conversation).where(Conversation.id == conversation_id).values(updated_at=now())
    )
    return session.scalars(
        sa.select(Conversation)
        .where(Conversation.id == conversation_id)
        .execution_options(populate_existing=True)
    ).one()


def unprocessed(conversation: Conversation, provider: str) -> sa.Select:
    """The inbound messages of this conversation not yet processed, in the provider's order:
    its send time (arrival time when the provider tells none), then arrival (id)."""
    return (
        sa.select(Message)
        .where(
            Message.direction == "in",
            Message.processed_at.is_(None),
            Message.provider == provider,
            Message.sender == conversation.contact.address,
            Message.recipient == conversation.channel_address,
        )
        .order_by(Message.provider_sent_at, Message.id)
    )


def next_unprocessed(session: Session, conversation: Conversation, provider: str) -> Message | None:
    """The oldest inbound message of this conversation not yet processed (`unprocessed`)."""
    return session.scalars(unprocessed(conversation, provider).limit(1)).one_or_none()


def mark_processed(message: Message, conversation: Conversation, ticket_id: int | None) -> None:
    at = now()
    message.processed_at = at
    message.status = "processed"
    message.conversation_id = conversation.id
    message.ticket_id = ticket_id
    message.updated_at = at
    # the 24-hour WhatsApp window runs from the citizen's latest message
    if conversation.last_inbound_at is None or message.created_at > conversation.last_inbound_at:
        conversation.last_inbound_at = message.created_at
    conversation.updated_at = at


def stale_inbound_ids(session: Session, older_than_seconds: int, limit: int = 500) -> list[int]:
    """One unprocessed message of each stranded conversation (for the sweeper): the first
    stored. Which one does not matter: its task drains the conversation from the oldest in the
    provider's order (`next_unprocessed`)."""
    cutoff = now() - timedelta(seconds=older_than_seconds)
    first = (
        sa.select(sa.func.min(Message.id))
        .where(
            Message.direction == "in", Message.processed_at.is_(None), Message.created_at < cutoff
        )
        .group_by(Message.provider, Message.sender, Message.recipient)
        .limit(limit)
    )
    return list(session.scalars(first))
