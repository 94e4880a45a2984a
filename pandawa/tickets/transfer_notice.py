"""Telling the citizen their ticket was transferred: the new queue and office, their new
position and an honest estimate (tickets.estimates; none without online agents), in their
language, as a notification through the outbox (sent after the commit).

Past the 24-hour window only an approved template may go: the catalogue's
`ticket_transferred_notice` (ticket, queue, office) when it has one, else nothing (logged).
Like every notification it passes `tickets.consent`: a citizen who opted out is not told
(they can still ask `status`, which answers with the queue and position).
Connected to `signals.ticket_transferred` by `init_app` (create_app).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_notification
from pandawa.channels.window import window_is_open
from pandawa.citizens.models import Conversation
from pandawa.hours.formatting import format_local
from pandawa.hours.queries import calendar_for
from pandawa.tickets.intake import position_replies
from pandawa.tickets.models import Ticket
from pandawa.tickets.notify import provider_name, queue_ticket_template
from pandawa.tickets.signals import ticket_transferred

log = logging.getLogger(__name__)
TEXT = "ticket_transferred"
TEMPLATE = "ticket_transferred_notice"


def init_app(app: Flask) -> None:
    ticket_transferred.connect(tell_citizen)


def tell_citizen(session: Session, *, ticket: Ticket, at: datetime, **_: Any) -> Message | None:
    """On `signals.ticket_transferred`: queue the notice; returns its row (None when nothing
    may or can go: opted out, blocked, no catalogue, past the window without the template)."""
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    language = conversation.contact.language or "id"
    try:
        catalog = active_catalog()
    except LookupError:  # no catalogue loaded (CatalogMissing)
        log.warning(
            "no catalogue; ticket %s transferred without telling the citizen", ticket.number
        )
        return None
    office = ticket.office
    values = {"ticket": ticket.number, "queue": ticket.queue.name(language), "office": office.name}
    if not window_is_open(conversation.last_inbound_at, at):
        spec = catalog.template(TEMPLATE)
        if spec is None:
            log.info(
                "ticket %s transferred past the window, no %s template", ticket.number, TEMPLATE
            )
            return None
        return queue_ticket_template(
            session, spec, ticket, conversation, provider_name(conversation), values
        )
    calendar = calendar_for(session, office, queue_id=ticket.queue_id)
    parts = [catalog.text(TEXT, language, **values)]
    if ticket.status != "deferred":
        parts.extend(position_replies(session, catalog, ticket, language, calendar, at))
    if ticket.status == "deferred" or not calendar.is_open(at):
        opens = format_local(calendar.next_opening(at), office.timezone, language)
        parts.append(catalog.text("office_closed", language, opens_at=opens))
    return queue_notification(
        session,
        provider=provider_name(conversation),
        sender=conversation.channel_address,
        recipient=conversation.contact.address,
        body="\n\n".join(parts),
        conversation_id=conversation.id,
        ticket_id=ticket.id,
    )
