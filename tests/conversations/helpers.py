"""The bot's tests talk to it in the process: a citizen with a conversation, and what the bot
answers a message."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.conversations.bot import Bot
from pandawa.conversations.operations import mark_processed
from pandawa.core.clock import now
from tests.factories import inbound

_numbers = itertools.count(1)


def new_conversation(
    session: Session, address: str, channel: str, office_id: int | None, name: str = "Warga"
) -> Conversation:
    """A new contact at `address` with an idle conversation on the number `channel`."""
    contact = Contact(
        provider="twilio", address=address, name=name, language="id", created_at=now()
    )
    session.add(contact)
    session.flush()
    conversation = Conversation(
        contact_id=contact.id,
        channel_address=channel,
        office_id=office_id,
        state="idle",
        state_data={},
        created_at=now(),
        updated_at=now(),
    )
    session.add(conversation)
    session.flush()
    return conversation


def citizen(session: Session) -> Conversation:
    """A new citizen writing to the first office of the catalogue in force."""
    catalog = active_catalog()
    office_id = session.scalar(
        sa.text("SELECT id FROM office WHERE code = :c"), {"c": catalog.offices[0].code}
    )
    address = f"whatsapp:+62899{next(_numbers):08d}"
    return new_conversation(session, address, catalog.offices[0].whatsapp, office_id)


def say(session: Session, conversation: Conversation, body: str) -> str:
    """The citizen writes `body`; the bot's last answer to it ("" when it said nothing)."""
    message = inbound(conversation, body)
    turn = Bot(session, conversation).handle(message)
    mark_processed(message, conversation, turn.ticket_id)
    session.flush()
    last = session.scalars(
        sa.select(Message.body)
        .where(
            Message.conversation_id == conversation.id,
            Message.direction == "out",
            Message.id > message.id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    return last or ""
