"""Internal notes: kept on the ticket's timeline, never sent (status "note", not the outbox)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.core.clock import now
from pandawa.tickets.models import Ticket
from pandawa.tickets.operations import InvalidBody, add_event

NOTE_STATUS = "note"
MAX_NOTE_LENGTH = 4096


def add_note(session: Session, ticket: Ticket, user: User, body: str) -> Message:
    """A note on `ticket` by `user`; add and flush, never commit, never enqueue."""
    text = (body or "").strip()
    if not text:
        raise InvalidBody("Catatan tidak boleh kosong. / The note must not be empty.")
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidBody(
            f"Catatan melebihi {MAX_NOTE_LENGTH} karakter. / "
            f"The note exceeds {MAX_NOTE_LENGTH} characters."
        )
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    at = now()
    note = Message(
        direction="out",
        provider=conversation.contact.provider,
        sender=conversation.channel_address,
        recipient=conversation.contact.address,
        body=text,
        message_type="note",
        status=NOTE_STATUS,
        conversation_id=conversation.id,
        ticket_id=ticket.id,
        author_id=user.id,
        is_internal_note=True,
        media=[],
        extra={},
        created_at=at,
        updated_at=at,
    )
    session.add(note)
    session.flush()
    add_event(session, ticket, "noted", user, message_id=note.id)
    session.flush()
    return note
