"""The handoff from the bot to a person, gated by the office's hours.

Inside hours the ticket waits in its queue and the citizen learns their position and an honest
estimate; outside hours (evening, weekend, holiday, cuti bersama) it is deferred and the citizen
learns when the office next opens, in the office's local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from pandawa.catalog.schema import Catalog
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.clock import now
from pandawa.hours.calendar import OfficeCalendar
from pandawa.hours.formatting import format_duration_minutes, format_local
from pandawa.hours.models import Office
from pandawa.hours.queries import calendar_for
from pandawa.tickets import estimates, surge
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.operations import open_ticket


@dataclass
class Handoff:
    ticket: Ticket
    replies: list[str] = field(default_factory=list)
    # deferred by its queue's surge (the live queue full): the bot adds the FAQ answers
    surge: bool = False


def hand_off(
    session: Session,
    catalog: Catalog,
    conversation: Conversation,
    contact: Contact,
    queue: Queue,
    details: dict,
) -> Handoff:
    language = contact.language or "id"
    office = session.get(Office, conversation.office_id)
    assert office is not None, "a conversation is routed to an office before any handoff"
    # the queue's calendar: an emergency closure of the office or of this queue defers too
    calendar = calendar_for(session, office, queue_id=queue.id)
    at = now()
    is_open = calendar.is_open(at)
    # surge mode (issue 17): beyond the queue's live cap the ticket is deferred, in order
    surged = is_open and surge.must_defer(session, queue, office.id)
    ticket = open_ticket(
        session,
        conversation_id=conversation.id,
        contact_id=contact.id,
        office_id=office.id,
        queue_id=queue.id,
        details=details,
        status="waiting" if is_open and not surged else "deferred",
    )
    if surged:
        ticket.surge_deferred_at = at
        reply = surge.deferred_reply(session, catalog, ticket, office, calendar, language, at)
        return Handoff(ticket, [reply], surge=True)
    handoff = Handoff(
        ticket,
        [
            catalog.text(
                "ticket_created", language, ticket=ticket.number, queue=queue.name(language)
            ),
        ],
    )
    if not is_open:
        opens = format_local(calendar.next_opening(at), office.timezone, language)
        handoff.replies.append(catalog.text("office_closed", language, opens_at=opens))
        return handoff
    handoff.replies.extend(position_replies(session, catalog, ticket, language, calendar, at))
    return handoff


def position_replies(
    session: Session,
    catalog: Catalog,
    ticket: Ticket,
    language: str,
    calendar: OfficeCalendar | None = None,
    at: datetime | None = None,
) -> list[str]:
    """The citizen's place in the queue and an honest estimate (tickets/estimates.py): about
    N minutes only when today is realistic; else the day and time they will probably be served
    (the next opening, in the office's zone); no number without online agents."""
    at = at or now()
    if calendar is None:
        calendar = calendar_for(session, ticket.office, queue_id=ticket.queue_id)
    position = estimates.queue_position(session, ticket)
    guess = estimates.estimate_for(session, ticket, position, at, calendar)
    if guess.kind == estimates.NO_AGENTS or guess.served_at is None:
        return [catalog.text("queue_no_agents", language, position=position)]
    if guess.kind == estimates.LATER:
        shown = guess.shown_at or guess.served_at
        when = format_local(shown, ticket.office.timezone, language)
        return [catalog.text("queue_position_later", language, position=position, served_at=when)]
    # today: the minutes on the clock until then (a break at midday counts, it is real waiting)
    minutes = estimates.rounded_minutes(int((guess.served_at - at).total_seconds()))
    return [
        catalog.text(
            "queue_position",
            language,
            position=position,
            wait=format_duration_minutes(minutes, language),
        )
    ]
