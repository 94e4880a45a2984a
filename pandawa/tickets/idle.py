"""Closing tickets the citizen stopped answering.

An assigned ticket whose agent's last message went out more than `idle_close_hours` ago, and
whose citizen has written nothing since, is resolved by the system (event `closed_idle`) and the
citizen is told. The agent's last message must have reached the provider: a reply that is
held (24-hour window shut), still unsent or failed never asked the citizen anything.

Runs from beat, safe on two beats at once: tickets are claimed in batches with
`FOR NO KEY UPDATE SKIP LOCKED` (the key-share lock a new message's foreign key takes is not
blocked, so a worker adding the citizen's message to the ticket never deadlocks with us), and
each batch commits before the next is read.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from pandawa.catalog.queries import active_catalog
from pandawa.catalog.schema import Catalog
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_notification
from pandawa.channels.window import window_is_open
from pandawa.citizens.models import Conversation
from pandawa.core.config import current_settings
from pandawa.tickets.models import Ticket
from pandawa.tickets.notify import queue_ticket_template
from pandawa.tickets.operations import add_event

log = logging.getLogger(__name__)

BATCH = 200
IDLE_TEXT = "ticket_idle_closed"
FALLBACK_TEXT = "ticket_resolved"  # until the catalogue has IDLE_TEXT
IDLE_TEMPLATE = "ticket_idle_closed"  # approved template, for a shut window (optional)
# what reached the provider; pending/sending/held and failures never reached the citizen
REACHED = ("accepted", "queued", "sent", "delivered", "read")
NOT_COUNTED = ("failed", "undelivered")


def close_idle(session: Session, at: datetime, *, idle_hours: float | None = None) -> int:
    """Resolve every idle ticket at `at`; commits per batch. Returns how many were closed."""
    if idle_hours is None:
        idle_hours = current_settings().idle_close_hours
    cutoff = at - timedelta(hours=idle_hours)
    closed = 0
    while batch := _idle_batch(session, cutoff):
        for ticket in batch:
            ticket.status = "resolved"
            ticket.resolved_at = at
            ticket.updated_at = at
            add_event(session, ticket, "closed_idle", idle_hours=idle_hours)
            _tell_citizen(session, ticket, at)
        session.flush()
        session.commit()
        closed += len(batch)
    if closed:
        log.info("closed %s tickets idle for %s hours", closed, idle_hours)
    return closed


def _idle_batch(session: Session, cutoff: datetime) -> list[Ticket]:
    reply = aliased(Message, name="last_reply")
    last_reply_id = (
        sa.select(sa.func.max(Message.id))
        .where(
            Message.ticket_id == Ticket.id,
            Message.direction == "out",
            Message.author_id.is_not(None),
            Message.is_internal_note.is_(False),
            Message.status.not_in(NOT_COUNTED),
        )
        .correlate(Ticket)
        .scalar_subquery()
    )
    inbound = aliased(Message, name="inbound")
    # anything from the citizen to this number since the reply, processed or not yet
    citizen_wrote = (
        sa.select(inbound.id)
        .where(
            inbound.direction == "in",
            inbound.provider == reply.provider,
            inbound.sender == reply.recipient,
            inbound.recipient == reply.sender,
            inbound.created_at > reply.created_at,
        )
        .exists()
    )
    return list(
        session.scalars(
            sa.select(Ticket)
            .join(reply, reply.id == last_reply_id)
            .where(
                Ticket.status == "assigned",
                reply.status.in_(REACHED),
                reply.created_at < cutoff,
                ~citizen_wrote,
            )
            .order_by(Ticket.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, key_share=True, of=Ticket)
        )
    )


def _tell_citizen(session: Session, ticket: Ticket, at: datetime) -> None:
    """A free-form message while the window is open; past it the approved template when the
    catalogue has one, else nothing (WhatsApp would refuse a free-form message)."""
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    contact = conversation.contact
    language = contact.language or "id"
    provider = contact.provider  # the provider the citizen wrote through
    try:
        catalog = active_catalog()
    except LookupError:
        log.warning("no catalogue loaded; idle ticket %s closed silently", ticket.number)
        return
    if window_is_open(conversation.last_inbound_at, at):
        queue_notification(
            session,
            provider=provider,
            sender=conversation.channel_address,
            recipient=contact.address,
            body=_text(catalog, language, ticket.number),
            conversation_id=conversation.id,
            ticket_id=ticket.id,
        )
        return
    spec = catalog.template(IDLE_TEMPLATE)
    if spec is None:
        log.info("idle ticket %s closed past the 24-hour window, silently", ticket.number)
        return
    queue_ticket_template(session, spec, ticket, conversation, provider, {"ticket": ticket.number})


def _text(catalog: Catalog, language: str, number: str) -> str:
    try:
        return catalog.text(IDLE_TEXT, language, ticket=number)
    except KeyError:  # a catalogue spec without the text yet: the plain closing message
        return catalog.text(FALLBACK_TEXT, language, ticket=number)
