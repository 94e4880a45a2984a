"""Reads on tickets shared by the API, the console and the dashboard.

Visibility is one rule everywhere: agents see the tickets of their queues, supervisors and
admins see all — except a supervisor bound to offices or a region (issue 17), who sees the
tickets of those offices. A ticket outside a user's sight is treated as absent (the API
answers 404). Every function here issues a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, defaultload

from pandawa.accounts.models import User
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket, queue_member
from pandawa.tickets.numbers import normalise_number
from pandawa.tickets.scopes.models import UserScope

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _member_queue_ids(user: User) -> sa.Select:
    return sa.select(queue_member.c.queue_id).where(queue_member.c.user_id == user.id)


def is_office_scoped(user: User) -> bool:
    """A supervisor bound to offices or regions (`tickets.scopes`); admins never are, agents
    are bound by their queues instead. Reads the user's scope rows once per request."""
    return user.role == "supervisor" and bool(getattr(user, "scopes", ()))


def _scoped_office_ids(user: User) -> sa.Select:
    """`SELECT office.id` of the offices a scoped supervisor's rows select: by office, or by
    the office's region (`ix_user_scope_user_id`, `ix_office_region`; offices are few)."""
    return (
        sa.select(Office.id)
        .join(
            UserScope,
            sa.or_(UserScope.office_id == Office.id, UserScope.region == Office.region),
        )
        .where(UserScope.user_id == user.id)
    )


def visibility_clause(user: User) -> sa.ColumnElement[bool]:
    """The WHERE clause limiting tickets to what `user` may see: an agent the tickets of her
    queues, a scoped supervisor those of her offices (every queue), others all."""
    if not user.sees_all_queues:
        return Ticket.queue_id.in_(_member_queue_ids(user))
    if is_office_scoped(user):
        return Ticket.office_id.in_(_scoped_office_ids(user))
    return sa.true()


def visible_queues_clause(user: User) -> sa.ColumnElement[bool]:
    """The WHERE clause on `queue` limiting queues to those `user` sees: an agent her queues,
    supervisors and admins all. Queues serve every office, so a scoped supervisor sees every
    queue too — with her offices' tickets only: a count per queue must also filter its tickets
    by `visibility_clause`."""
    if user.sees_all_queues:
        return sa.true()
    return Queue.id.in_(_member_queue_ids(user))


def managed_queues_clause(user: User) -> sa.ColumnElement[bool]:
    """The WHERE clause on `queue` limiting queues to those whose agency-wide settings `user`
    may change (closing a whole queue, its SLA target, auto-assignment): a queue serves every
    office, so only admins and agency-wide supervisors; a scoped supervisor none."""
    if user.sees_all_queues and not is_office_scoped(user):
        return sa.true()
    return sa.false()


def visible_offices_clause(user: User) -> sa.ColumnElement[bool]:
    """The WHERE clause on `office.id` limiting offices to those `user` may see and act on: a
    scoped supervisor's offices (by office or region), every office for everyone else — agents
    too, whose queues span offices (whether they may act is the caller's role check). Anything
    an office-level page or action shows or changes filters by this."""
    if is_office_scoped(user):
        return Office.id.in_(_scoped_office_ids(user))
    return Office.id.is_not(None)


def visible_contacts_clause(user: User) -> sa.ColumnElement[bool]:
    """The WHERE clause on `contact` for staff lists of citizens that are not tickets (the
    blocked numbers): a contact belongs to no office, so a scoped supervisor sees those who
    wrote to one of her offices (a conversation routed there); everyone else all of them."""
    if not is_office_scoped(user):
        return sa.true()
    return Contact.id.in_(
        sa.select(Conversation.contact_id).where(
            Conversation.office_id.in_(_scoped_office_ids(user))
        )
    )


def _ticket_select() -> sa.Select:
    """`SELECT ticket`; office, queue and assignee come joined."""
    # the serializer reads the assignee's email only; skip loading their queue list
    return sa.select(Ticket).options(defaultload(Ticket.assignee).lazyload(User.queues))


def visible_tickets_stmt(user: User) -> sa.Select:
    """`SELECT ticket` limited to `user`'s sight; office, queue and assignee come joined."""
    return _ticket_select().where(visibility_clause(user))


def get_visible_ticket(number: str, user: User, *, for_update: bool = False) -> Ticket | None:
    """The ticket numbered `number` if `user` may see it; None when absent or hidden.

    `for_update` locks the ticket row (only that table: the joined assignee is on the nullable
    side of an outer join) so concurrent state changes on one ticket run one after the other.
    """
    stmt = visible_tickets_stmt(user).where(Ticket.number == normalise_number(number))
    if for_update:
        # FOR NO KEY UPDATE: a worker inserting a message that points at this ticket (a foreign
        # key share lock) is not blocked, so it cannot deadlock with the conversation lock
        stmt = stmt.with_for_update(of=Ticket, key_share=True).execution_options(
            populate_existing=True
        )
    return db.session.scalars(stmt).unique().one_or_none()


class TicketDetail(NamedTuple):
    """A ticket with its contact and when the citizen last wrote (the 24-hour window)."""

    ticket: Ticket
    contact: Contact
    last_inbound_at: datetime | None


def _with_contact(stmt: sa.Select) -> sa.Select:
    return (
        stmt.add_columns(Contact, Conversation.last_inbound_at)
        .join(Contact, Contact.id == Ticket.contact_id)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
    )


def visible_ticket_detail(number: str, user: User) -> TicketDetail | None:
    """`get_visible_ticket` with the contact and the window's start, in one round trip."""
    stmt = visible_tickets_stmt(user).where(Ticket.number == normalise_number(number))
    row = db.session.execute(_with_contact(stmt)).unique().one_or_none()
    return TicketDetail(*row) if row is not None else None


# Statements the claim path runs on every claim are built once, on first use (after every
# model is mapped): building and cache-keying one costs about as much as running it.
@functools.cache
def _ticket_detail_by_id() -> sa.Select:
    stmt = _ticket_select().where(Ticket.id == sa.bindparam("ticket_id"))
    return _with_contact(stmt).execution_options(populate_existing=True)


@functools.cache
def _ticket_messages() -> sa.Select:
    return (
        sa.select(Message, User.email)
        .outerjoin(User, User.id == Message.author_id)
        .where(Message.ticket_id == sa.bindparam("ticket_id"))
        .order_by(Message.id)
    )


def ticket_detail(ticket_id: int) -> TicketDetail:
    """A ticket the caller may already see (one it just claimed), loaded afresh."""
    row = db.session.execute(_ticket_detail_by_id(), {"ticket_id": ticket_id}).unique().one()
    return TicketDetail(*row)


def contact_of(ticket: Ticket) -> Contact:
    contact = db.session.get(Contact, ticket.contact_id)
    assert contact is not None
    return contact


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after; ValueError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("malformed cursor") from exc
    if not raw.isdigit():
        raise ValueError("malformed cursor")
    return int(raw)


@dataclass
class TicketPage:
    rows: list[tuple[Ticket, Contact]]
    next_cursor: str | None


def list_tickets(
    user: User,
    *,
    statuses: Sequence[str] = OPEN_STATUSES,
    queue_codes: Sequence[str] = (),
    after_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> TicketPage:
    """Tickets `user` may see, oldest first (by id), one page at a time (keyset on id)."""
    limit = max(1, min(limit, MAX_LIMIT))
    stmt = (
        visible_tickets_stmt(user)
        .add_columns(Contact)
        .join(Contact, Contact.id == Ticket.contact_id)
        .where(Ticket.status.in_(list(statuses)))
        .order_by(Ticket.id)
        .limit(limit + 1)
    )
    if queue_codes:
        stmt = stmt.where(
            Ticket.queue_id.in_(sa.select(Queue.id).where(Queue.code.in_(list(queue_codes))))
        )
    if after_id is not None:
        stmt = stmt.where(Ticket.id > after_id)
    rows = [(ticket, contact) for ticket, contact in db.session.execute(stmt).unique()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][0].id)
    return TicketPage(rows=rows, next_cursor=next_cursor)


def ticket_messages(ticket_id: int) -> list[tuple[Message, str | None]]:
    """Every message of a ticket, oldest first, with its author's email (None: citizen/bot)."""
    rows = db.session.execute(_ticket_messages(), {"ticket_id": ticket_id})
    return [(message, email) for message, email in rows]


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 3)


def active_queues(session: Session) -> list[Queue]:
    return list(session.scalars(sa.select(Queue).where(Queue.is_active).order_by(Queue.code)))
