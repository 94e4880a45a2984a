"""Showing one masked value in full: a deliberate act of a user who may see the ticket, with a
role in REVEAL_ROLES, recorded as one `reveal` audit row. The console's button and the API's
`POST /tickets/<number>/reveal` both come here.

Fields: `phone` (the citizen's WhatsApp number), `details.<key>` (a value of the ticket's
details) and `message.<id>` (the text of a message of the ticket, or of the exchange with the
bot that led to it).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.audit.operations import record
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.core.config import current_settings
from pandawa.tickets.models import Ticket

FIELD_MAX = 48  # audit_event.field


class UnknownField(Exception):
    """The field names nothing on this ticket (the caller's 404)."""


def may_reveal(user: User) -> bool:
    return user.role in current_settings().reveal_roles


def reveal(session: Session, user: User, ticket: Ticket, field: str, address: str) -> str:
    """The full value of `field` on `ticket`, after adding its `reveal` audit row to the
    session (the caller commits). The caller has checked the role and the user's sight."""
    value = _value(session, ticket, field)
    contact = session.get(Contact, ticket.contact_id)
    record(
        session,
        "reveal",
        actor_id=user.id,
        actor_label=user.email,
        contact_id=contact.id if contact is not None else None,
        ticket_number=ticket.number,
        field=field[:FIELD_MAX],
        address=address,
    )
    return value


def _value(session: Session, ticket: Ticket, field: str) -> str:
    kind, _, name = field.partition(".")
    if field == "phone":
        contact = session.get(Contact, ticket.contact_id)
        if contact is None:
            raise UnknownField(field)
        return contact.address.removeprefix("whatsapp:")
    if kind == "details" and name:
        details = ticket.details or {}
        if name not in details:
            raise UnknownField(field)
        value = details[name]
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if kind == "message" and name.isdigit():
        body = session.scalar(
            sa.select(Message.body).where(
                Message.id == int(name),
                sa.or_(
                    Message.ticket_id == ticket.id,
                    sa.and_(
                        Message.ticket_id.is_(None),
                        Message.conversation_id == ticket.conversation_id,
                    ),
                ),
            )
        )
        if body is None:
            raise UnknownField(field)
        return body
    raise UnknownField(field)
