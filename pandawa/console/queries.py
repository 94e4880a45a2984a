"""Reads of the console pages, each a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, defaultload

from pandawa.accounts.models import User
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.core.clock import as_utc, now
from pandawa.hours.queries import calendars_for_offices
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket
from pandawa.tickets.queries import visibility_clause

PAGE_SIZE = 50


@dataclass
class WorkRow:
    ticket: Ticket
    contact: Contact
    preview: str | None
    preview_direction: str | None
    wait_business_seconds: int | None


@dataclass
class WorkPage:
    rows: list[WorkRow]
    page: int
    has_next: bool


def work_page(session: Session, user: User, page: int = 1) -> WorkPage:
    """Open tickets `user` sees: the ones they hold first, then the oldest; with each ticket's
    latest message from the citizen — what they are waiting about, not the bot's or an agent's
    answer (one LATERAL subquery on `ix_message_ticket_inbound`, not one query per ticket).

    Two steps: the page's ticket ids from the ticket table alone (the open tickets' partial
    index), then contacts and previews for those 50 only — joining every open ticket to its
    contact before cutting the page scanned the whole contact table.
    """
    page = max(1, page)
    mine_first = sa.case((Ticket.assignee_id == user.id, 0), else_=1)
    ids = list(
        session.scalars(
            sa.select(Ticket.id)
            .where(visibility_clause(user), Ticket.status.in_(OPEN_STATUSES))
            .order_by(
                mine_first, sa.func.coalesce(Ticket.released_at, Ticket.created_at), Ticket.id
            )
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    has_next = len(ids) > PAGE_SIZE
    ids = ids[:PAGE_SIZE]
    latest = (
        sa.select(Message.body, Message.direction)
        .where(Message.ticket_id == Ticket.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )
    stmt = sa.select(Ticket, Contact).join(Contact, Contact.id == Ticket.contact_id)
    if session.get_bind().dialect.name == "postgresql":
        preview = latest.lateral("latest")
        stmt = stmt.add_columns(preview.c.body, preview.c.direction).outerjoin(preview, sa.true())
    else:  # SQLite (the embedded default) has no LATERAL: a subquery per column
        stmt = stmt.add_columns(
            latest.with_only_columns(Message.body).scalar_subquery(),
            latest.with_only_columns(Message.direction).scalar_subquery(),
        )
    stmt = stmt.where(Ticket.id.in_(ids)).options(
        defaultload(Ticket.assignee).lazyload(User.queues)
    )
    position = {ticket_id: i for i, ticket_id in enumerate(ids)}
    found = (
        sorted(session.execute(stmt).unique(), key=lambda row: position[row[0].id]) if ids else []
    )
    # one calendar per office for the whole page (three queries, whatever the offices)
    calendars = calendars_for_offices(session) if found else {}
    at = now()
    rows = []
    for ticket, contact, body, direction in found:
        start = as_utc(ticket.released_at or ticket.created_at)
        calendar = calendars.get(ticket.office_id)
        wait = None
        if ticket.status == "deferred":
            wait = 0
        elif calendar is not None and start is not None:
            wait = calendar.business_seconds(start, at)
        rows.append(WorkRow(ticket, contact, body, direction, wait))
    return WorkPage(rows=rows, page=page, has_next=has_next)


# how far back the exchange with the bot before a ticket is shown
BEFORE_TICKET = timedelta(hours=24)
BEFORE_TICKET_LIMIT = 30


def before_ticket(session: Session, ticket: Ticket) -> list[Message]:
    """The citizen's exchange with the bot that led to the ticket (menus, the details asked),
    oldest first: the conversation's messages of the 24 hours before the ticket that belong to
    no ticket, at most 30 — so the agent does not ask again what the bot already asked."""
    created = as_utc(ticket.created_at)
    stmt = (
        sa.select(Message)
        .where(
            Message.conversation_id == ticket.conversation_id,
            Message.ticket_id.is_(None),
            Message.is_internal_note.is_(False),
            Message.created_at >= created - BEFORE_TICKET,
            Message.created_at <= created,
        )
        .order_by(Message.id.desc())
        .limit(BEFORE_TICKET_LIMIT)
    )
    return list(reversed(session.scalars(stmt).all()))


@dataclass
class EarlierTicket:
    number: str
    created_at: datetime
    status: str
    queue_code: str
    # whether the viewer may open it (their queues, or a supervisor): linked, else masked
    visible: bool = True


def earlier_tickets(
    session: Session, ticket: Ticket, user: User | None = None, limit: int = 20
) -> list[EarlierTicket]:
    """The citizen's other tickets (same contact, whichever office number they wrote to), newest
    first, numbers and states only, no content; one query on the (contact, created) index.

    A ticket reopened because the citizen wrote again soon after its resolution
    (tickets.returns.REOPEN_WITHIN) is the same ticket, not an earlier one: its thread holds
    both exchanges. `visible` says whether `user` may open each (None: all)."""
    visible = (
        sa.case((visibility_clause(user), sa.true()), else_=sa.false())
        if user is not None
        else sa.true()
    )
    stmt = (
        sa.select(Ticket.number, Ticket.created_at, Ticket.status, Queue.code, visible)
        .join(Queue, Queue.id == Ticket.queue_id)
        .where(Ticket.contact_id == ticket.contact_id, Ticket.id != ticket.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [EarlierTicket(*row) for row in session.execute(stmt)]
