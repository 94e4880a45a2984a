"""Tickets that go back: to the queue when their holder is gone or silent, and to an online
agent when the citizen writes again soon after resolution.

`return_abandoned` runs from beat every minute, safe on two beats at once: held tickets are
locked `FOR NO KEY UPDATE SKIP LOCKED` (a worker adding the citizen's message to the ticket
takes a key-share lock and is not blocked) and changed only while still held by the same agent.
A returned ticket keeps its `released_at`, so it keeps its place at the front of the queue.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from pandawa.accounts.models import User
from pandawa.channels.models import Message
from pandawa.core.clock import now
from pandawa.hours.queries import calendars_for_offices
from pandawa.tickets.assign import is_online, online_candidates
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket
from pandawa.tickets.operations import add_event

log = logging.getLogger(__name__)

BATCH = 200
# an agent not seen for this long has left, whatever the presence they chose says
GONE_AFTER = timedelta(minutes=15)
# a citizen's message unanswered for this many business minutes goes back to the queue: the
# default of each queue's `idle_return_minutes` (set in /dashboard/settings, issue 17)
UNANSWERED_BUSINESS_MINUTES = 30
# a citizen writing again within this long after resolution reaches an agent at once
REOPEN_WITHIN = timedelta(days=7)


def return_abandoned(session: Session, at: datetime, unanswered_minutes: int | None = None) -> int:
    """Return held tickets whose agent is gone or whose citizen waits unanswered (for
    `unanswered_minutes`, else each queue's `idle_return_minutes`); add and flush, the caller
    commits. Returns how many tickets went back to their queues."""
    returned = _return_offline(session, at)
    returned += _return_unanswered(session, at, unanswered_minutes)
    if returned:
        log.info("returned %s held tickets to their queues", returned)
    return returned


def _return_offline(session: Session, at: datetime) -> int:
    gone = (
        sa.select(User.id)
        .where(
            sa.or_(
                User.presence == "offline",
                User.is_active.is_(False),
                User.last_seen_at.is_(None),
                User.last_seen_at < at - GONE_AFTER,
            )
        )
        .scalar_subquery()
    )
    tickets = list(
        session.scalars(
            sa.select(Ticket)
            .where(Ticket.status == "assigned", Ticket.assignee_id.in_(gone))
            .order_by(Ticket.id)
            .with_for_update(skip_locked=True, key_share=True, of=Ticket)
        )
    )
    for ticket in tickets:
        _back_to_queue(session, ticket, at, reason="agent_offline")
    return len(tickets)


def _return_unanswered(session: Session, at: datetime, minutes: int | None) -> int:
    """Held tickets whose citizen's latest message has no agent reply after it, for `minutes`
    (else the ticket's queue's `idle_return_minutes`) of the office's open time counted from
    that message (or from the assignment, when the agent took the ticket after the citizen
    wrote)."""
    smallest = minutes or session.scalar(sa.select(sa.func.min(Queue.idle_return_minutes)))
    smallest = smallest or UNANSWERED_BUSINESS_MINUTES
    calendars = calendars_for_offices(session)
    returned = 0
    after_id = 0
    while batch := _silent_batch(session, at - timedelta(minutes=smallest), after_id):
        for ticket, last_in_at in batch:
            limit = minutes or ticket.queue.idle_return_minutes
            calendar = calendars.get(ticket.office_id)
            since = max(last_in_at, ticket.assigned_at or last_in_at)
            if calendar is None or calendar.business_seconds(since, at) < limit * 60:
                continue
            _back_to_queue(session, ticket, at, reason="unanswered", business_minutes=limit)
            returned += 1
        after_id = batch[-1][0].id
    return returned


def _silent_batch(
    session: Session, cutoff: datetime, after_id: int
) -> list[tuple[Ticket, datetime]]:
    """Held tickets whose latest citizen message is older than `cutoff` in calendar time (open
    time is never more) with no agent reply since; the business-time test is the caller's."""
    inbound = aliased(Message, name="last_in")
    last_in_id = (
        sa.select(sa.func.max(Message.id))
        .where(Message.ticket_id == Ticket.id, Message.direction == "in")
        .correlate(Ticket)
        .scalar_subquery()
    )
    reply = aliased(Message, name="reply")
    answered = (
        sa.select(reply.id)
        .where(
            reply.ticket_id == Ticket.id,
            reply.direction == "out",
            reply.author_id.is_not(None),
            reply.is_internal_note.is_(False),
            reply.id > inbound.id,
        )
        .exists()
    )
    rows = session.execute(
        sa.select(Ticket, inbound.created_at)
        .join(inbound, inbound.id == last_in_id)
        .where(
            Ticket.status == "assigned",
            Ticket.id > after_id,
            inbound.created_at <= cutoff,
            sa.or_(Ticket.assigned_at.is_(None), Ticket.assigned_at <= cutoff),
            ~answered,
        )
        .order_by(Ticket.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True, key_share=True, of=Ticket)
    ).all()
    return [(ticket, last_in_at) for ticket, last_in_at in rows]


def _back_to_queue(session: Session, ticket: Ticket, at: datetime, **data: object) -> None:
    previous = ticket.assignee_id
    ticket.status = "waiting"
    ticket.assignee_id = None
    ticket.assignee = None
    ticket.assigned_at = None
    ticket.updated_at = at
    session.flush()
    add_event(session, ticket, "returned", None, previous_assignee_id=previous, **data)
    session.flush()
    log.info("ticket %s returned to its queue (%s)", ticket.number, data.get("reason"))


# -- a citizen writing again soon after resolution ------------------------------------------
def recently_resolved(session: Session, conversation_id: int, at: datetime) -> Ticket | None:
    """The conversation's latest ticket, when it was resolved within `REOPEN_WITHIN`."""
    latest = session.scalars(
        sa.select(Ticket)
        .where(Ticket.conversation_id == conversation_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.status != "resolved" or latest.resolved_at is None:
        return None
    return latest if at - latest.resolved_at <= REOPEN_WITHIN else None


def reopen_route(session: Session, ticket: Ticket, at: datetime | None = None) -> User | None:
    """Who should take a recently resolved ticket the citizen wrote on again: its previous
    holder when online, else the best online agent of its queue with room, else None (the
    bot's normal flow then opens a new ticket)."""

    at = at or now()
    if ticket.assignee_id is not None:
        previous = session.get(User, ticket.assignee_id)
        if previous is not None and is_online(previous, at) and _member(previous, ticket):
            return previous
    candidates = online_candidates(session, ticket.queue_id, at)
    return candidates[0].user if candidates else None


def reopen_to(session: Session, ticket: Ticket, agent: User, at: datetime) -> Ticket:
    """Open the resolved ticket again, held by `agent`. The caller has checked that the
    conversation has no other open ticket (a unique index would refuse it)."""
    if ticket.status in OPEN_STATUSES:
        raise ValueError(f"ticket {ticket.number} is already open")
    ticket.status = "assigned"
    ticket.assignee_id = agent.id
    ticket.assignee = agent
    ticket.assigned_at = at
    ticket.resolved_at = None
    ticket.updated_at = at
    session.flush()
    add_event(session, ticket, "reopened", None, assignee_id=agent.id)
    session.flush()
    log.info("ticket %s reopened for user %s", ticket.number, agent.id)
    return ticket


def reopen_recent(session: Session, conversation_id: int, at: datetime) -> Ticket | None:
    """The one call for the conversation layer: a recently resolved ticket of this
    conversation reopened for an online agent, or None (then open a new ticket as usual)."""
    ticket = recently_resolved(session, conversation_id, at)
    if ticket is None:
        return None
    ticket = session.scalars(
        sa.select(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == "resolved")
        .with_for_update(key_share=True, of=Ticket)
    ).first()
    if ticket is None:
        return None
    agent = reopen_route(session, ticket, at)
    if agent is None:
        return None
    return reopen_to(session, ticket, agent, at)


def _member(user: User, ticket: Ticket) -> bool:
    return user.sees_all_queues or any(q.id == ticket.queue_id for q in user.queues)
