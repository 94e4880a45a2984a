"""An agent sends a file (a letter, a form) to the citizen of a ticket.

The same rules as a text reply (`operations.reply`): the ticket open and held by the agent
(or a supervisor), and past the 24-hour window the file is held while the approved template
asks the citizen to answer; without such a template it is refused. `check` says so before the
file is kept, `send` queues it. Adds and flushes; the view commits.

A caption goes with a photo. WhatsApp through Twilio shows no caption under a document
(twilio.com/docs/whatsapp/guidance-whatsapp-media-messages: "Twilio does not support setting a
filename or caption for documents"), so a PDF's caption follows it as its own text message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from pandawa.channels.attachments import IMAGE_TYPES, message_type_of
from pandawa.channels.outbox import queue_outbound
from pandawa.channels.window import window_is_open
from pandawa.citizens.models import Conversation
from pandawa.core.clock import now
from pandawa.tickets import operations
from pandawa.tickets.models import Ticket
from pandawa.tickets.notify import NO_TEMPLATE_MESSAGE, ask_to_reopen, cannot_ask_to_reopen

if TYPE_CHECKING:
    from pandawa.accounts.models import User
    from pandawa.channels.models import Message

# WhatsApp's limit for a media caption
MAX_CAPTION = 1024


def check(session: Session, ticket: Ticket, user: User, caption: str) -> str:
    """Raise the TicketError a send would raise, before anything is stored; the caption to
    send (trimmed)."""
    operations.require_can_reply(session, ticket, user)
    text = (caption or "").strip() if isinstance(caption, str) else ""
    if len(text) > MAX_CAPTION:
        raise operations.InvalidBody(
            f"Keterangan melebihi {MAX_CAPTION} karakter. / "
            f"The caption exceeds {MAX_CAPTION} characters."
        )
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    if not window_is_open(conversation.last_inbound_at, now()) and cannot_ask_to_reopen(
        ticket, conversation
    ):
        raise operations.NoTemplate(NO_TEMPLATE_MESSAGE)
    return text


def send(session: Session, ticket: Ticket, user: User, item: dict, caption: str) -> list[Message]:
    """Queue the stored file `item` (and its caption) to the citizen; the rows, the file's
    first. Call `check` first."""
    text = check(session, ticket, user, caption)
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    at = now()
    window_open = window_is_open(conversation.last_inbound_at, at)
    if not window_open:
        ask_to_reopen(session, ticket, conversation, at)
    content_type = item["content_type"]
    is_image = content_type in IMAGE_TYPES
    common = {
        "provider": conversation.contact.provider,
        "sender": conversation.channel_address,
        "recipient": conversation.contact.address,
        "conversation_id": conversation.id,
        "ticket_id": ticket.id,
        "author_id": user.id,
        "hold": not window_open,
    }
    messages = queue_outbound(
        session,
        body=text if is_image else "",
        media=[item],
        message_type=message_type_of(content_type),
        **common,
    )
    if text and not is_image:
        messages += queue_outbound(session, body=text, **common)
    operations.record_reply(session, ticket, user, messages, at, held=not window_open)
    return messages
