"""Everything held about a set of contacts, as rows: the export writes them out, the erasure
scrubs them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.audit.models import AuditEvent
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.tickets.checklist.models import TicketChecklistItem
from pandawa.tickets.models import Ticket, TicketEvent


@dataclass
class CitizenRecords:
    contacts: list[Contact]
    conversations: list[Conversation] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    events: list[TicketEvent] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    # each ticket's eligibility checklist (issue 17)
    checklists: list[TicketChecklistItem] = field(default_factory=list)

    @property
    def notes(self) -> list[Message]:
        return [m for m in self.messages if m.is_internal_note]


def gather(
    session: Session, contacts: list[Contact], *, with_audit: bool = False
) -> CitizenRecords:
    """The contacts' conversations, tickets with their events, and every message in and out
    (routed to their conversations or tickets, or still unrouted but from or to them)."""
    found = CitizenRecords(contacts=contacts)
    if not contacts:
        return found
    contact_ids = [c.id for c in contacts]
    addresses = [c.address for c in contacts]
    found.conversations = list(
        session.scalars(
            sa.select(Conversation)
            .where(Conversation.contact_id.in_(contact_ids))
            .order_by(Conversation.id)
        )
    )
    found.tickets = list(
        session.scalars(
            sa.select(Ticket).where(Ticket.contact_id.in_(contact_ids)).order_by(Ticket.id)
        )
    )
    conversation_ids = [c.id for c in found.conversations]
    ticket_ids = [t.id for t in found.tickets]
    found.messages = list(
        session.scalars(
            sa.select(Message)
            .where(
                sa.or_(
                    Message.conversation_id.in_(conversation_ids),
                    Message.ticket_id.in_(ticket_ids),
                    sa.and_(Message.direction == "in", Message.sender.in_(addresses)),
                    sa.and_(Message.direction == "out", Message.recipient.in_(addresses)),
                )
            )
            .order_by(Message.id)
        )
    )
    found.events = list(
        session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id.in_(ticket_ids))
            .order_by(TicketEvent.id)
        )
    )
    found.checklists = list(
        session.scalars(
            sa.select(TicketChecklistItem)
            .where(TicketChecklistItem.ticket_id.in_(ticket_ids))
            .order_by(TicketChecklistItem.ticket_id, TicketChecklistItem.position)
        )
    )
    if with_audit:
        found.audit = list(
            session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.contact_id.in_(contact_ids))
                .order_by(AuditEvent.id)
            )
        )
    return found


def row_dict(row: Any) -> dict[str, Any]:
    """A row's columns as JSON-ready values (instants in ISO 8601, UTC)."""
    out: dict[str, Any] = {}
    for attr in sa.inspect(row).mapper.column_attrs:
        value = getattr(row, attr.key)
        out[attr.key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out
