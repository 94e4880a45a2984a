"""Held tickets going back to the queue, and resolved tickets reaching an online agent."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.tickets.assign import assign_waiting
from pandawa.tickets.models import Ticket, TicketEvent
from pandawa.tickets.returns import reopen_recent, reopen_route, return_abandoned
from pandawa.tickets.tasks import return_abandoned as return_abandoned_task

_sid = itertools.count(1)


def _online(user, *, presence: str = "online", seen_ago: float = 0, capacity: int = 5):
    user.presence = presence
    user.capacity = capacity
    user.last_seen_at = now() - timedelta(minutes=seen_ago)
    return user


def _message(ticket, direction: str, author=None) -> Message:
    conversation = ticket.conversation_id
    at = now()
    message = Message(
        direction=direction,
        provider="twilio",
        provider_message_id=f"SMret{next(_sid):029d}",
        sender="whatsapp:+6281200000001" if direction == "in" else "whatsapp:+6281100000000",
        recipient="whatsapp:+6281100000000" if direction == "in" else "whatsapp:+6281200000001",
        body="Halo" if direction == "in" else "Baik, kami periksa.",
        message_type="text",
        media=[],
        extra={},
        status="processed" if direction == "in" else "delivered",
        attempts=0,
        conversation_id=conversation,
        ticket_id=ticket.id,
        author_id=author.id if author else None,
        created_at=at,
        updated_at=at,
    )
    db.session.add(message)
    db.session.flush()
    return message


def _events(session, ticket, kind: str) -> list[TicketEvent]:
    return list(
        session.scalars(
            sa.select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind
            )
        )
    )


def _held(make_queue, make_user, make_ticket, **presence):
    queue = make_queue()
    agent = _online(make_user(queues=[queue]), **presence)
    return agent, make_ticket(queue=queue, status="assigned", assignee=agent)


# -- the holder is gone ----------------------------------------------------------------------
def test_ticket_of_offline_agent_returns_with_event_and_keeps_its_place(
    session, clock, make_queue, make_user, make_ticket
):
    agent, ticket = _held(make_queue, make_user, make_ticket, presence="offline")
    released_at = ticket.released_at
    clock.advance(minutes=1)

    assert return_abandoned(session, now()) == 1

    session.refresh(ticket)
    assert (ticket.status, ticket.assignee_id) == ("waiting", None)
    assert ticket.released_at == released_at
    (event,) = _events(session, ticket, "returned")
    assert event.actor_id is None
    assert event.data["reason"] == "agent_offline"
    assert event.data["previous_assignee_id"] == agent.id


def test_agent_not_seen_for_15_minutes_loses_tickets_but_away_agent_keeps_them(
    session, make_queue, make_user, make_ticket
):
    _, stale = _held(make_queue, make_user, make_ticket, seen_ago=16)
    _, away = _held(make_queue, make_user, make_ticket, presence="away", seen_ago=5)
    _, online = _held(make_queue, make_user, make_ticket)

    assert return_abandoned(session, now()) == 1

    assert [session.get(Ticket, t.id).status for t in (stale, away, online)] == [
        "waiting",
        "assigned",
        "assigned",
    ]


# -- the citizen is left unanswered ----------------------------------------------------------
def test_citizen_unanswered_for_31_business_minutes_returns(
    session, clock, make_queue, make_user, make_ticket
):
    agent, silent = _held(make_queue, make_user, make_ticket)
    colleague, answered = _held(make_queue, make_user, make_ticket)
    _message(silent, "in")
    _message(answered, "in")
    clock.advance(minutes=5)
    _message(answered, "out", author=colleague)
    clock.advance(minutes=24)
    for user in (agent, colleague):
        user.last_seen_at = now()
    assert return_abandoned(session, now()) == 0  # 29 minutes: not yet

    clock.advance(minutes=2)
    for user in (agent, colleague):
        user.last_seen_at = now()

    assert return_abandoned(session, now()) == 1
    session.refresh(silent)
    session.refresh(answered)
    assert (silent.status, answered.status) == ("waiting", "assigned")
    (event,) = _events(session, silent, "returned")
    assert event.data["reason"] == "unanswered"


def test_office_closing_in_between_does_not_count(
    session, clock, make_queue, make_user, make_ticket
):
    # Tuesday 14:50 WIB: ten open minutes left before closing at 15:00
    clock.set(datetime(2026, 12, 1, 7, 50, tzinfo=UTC))
    agent, ticket = _held(make_queue, make_user, make_ticket)
    _message(ticket, "in")
    # Wednesday 08:15 WIB: 17 hours later, but only 25 business minutes
    clock.set(datetime(2026, 12, 2, 1, 15, tzinfo=UTC))
    agent.last_seen_at = now()

    assert return_abandoned(session, now()) == 0
    session.refresh(ticket)
    assert ticket.status == "assigned"

    clock.advance(minutes=6)  # 31 business minutes
    agent.last_seen_at = now()
    assert return_abandoned(session, now()) == 1


def test_clock_starts_when_the_agent_took_the_ticket(
    session, clock, make_queue, make_user, make_ticket
):
    queue = make_queue()
    ticket = make_ticket(queue=queue)
    _message(ticket, "in")
    clock.advance(minutes=40)  # waited in the queue: not the agent's silence
    agent = _online(make_user(queues=[queue]))
    ticket.status, ticket.assignee_id, ticket.assigned_at = "assigned", agent.id, now()
    session.flush()
    clock.advance(minutes=10)
    agent.last_seen_at = now()

    assert return_abandoned(session, now()) == 0


def test_unanswered_ticket_is_not_handed_straight_back_to_the_same_agent(
    session, clock, make_queue, make_user, make_ticket
):
    queue = make_queue()
    queue.is_auto_assign = True
    agent = _online(make_user(queues=[queue]))
    ticket = make_ticket(queue=queue, status="assigned", assignee=agent)
    _message(ticket, "in")
    clock.advance(minutes=31)
    agent.last_seen_at = now()
    assert return_abandoned(session, now()) == 1

    assert assign_waiting(session, now()) == 0
    colleague = _online(make_user(queues=[queue]))
    assert assign_waiting(session, now()) == 1
    session.refresh(ticket)
    assert ticket.assignee_id == colleague.id


def test_beat_task_returns_and_is_idempotent(session, make_queue, make_user, make_ticket):
    _, ticket = _held(make_queue, make_user, make_ticket, presence="offline")

    assert return_abandoned_task() == 1
    assert return_abandoned_task() == 0
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "waiting"
    assert len(_events(session, ticket, "returned")) == 1


# -- a citizen writing again after resolution ------------------------------------------------
def _resolved(clock, make_queue, make_user, make_ticket, **presence):
    queue = make_queue()
    holder = _online(make_user(queues=[queue]), **presence)
    ticket = make_ticket(queue=queue, status="assigned", assignee=holder)
    ticket.status, ticket.resolved_at = "resolved", now()
    db.session.flush()
    clock.advance(hours=2)
    holder.last_seen_at = now() - timedelta(minutes=presence.get("seen_ago", 0))
    return queue, holder, ticket


def test_reopen_prefers_the_online_previous_holder(
    session, clock, make_queue, make_user, make_ticket
):
    queue, holder, ticket = _resolved(clock, make_queue, make_user, make_ticket)
    _online(make_user(queues=[queue]))  # idle colleague: still the holder comes first

    assert reopen_route(session, ticket, now()) == holder


def test_reopen_goes_to_an_online_colleague_when_the_holder_is_absent(
    session, clock, make_queue, make_user, make_ticket
):
    queue, _, ticket = _resolved(clock, make_queue, make_user, make_ticket, presence="offline")
    colleague = _online(make_user(queues=[queue]))

    reopened = reopen_recent(session, ticket.conversation_id, now())

    assert reopened.id == ticket.id
    assert (reopened.status, reopened.assignee_id, reopened.resolved_at) == (
        "assigned",
        colleague.id,
        None,
    )
    assert len(_events(session, ticket, "reopened")) == 1


def test_reopen_finds_nobody_when_nobody_is_online_or_it_is_too_old(
    session, clock, make_queue, make_user, make_ticket
):
    _, holder, ticket = _resolved(clock, make_queue, make_user, make_ticket, presence="away")
    assert reopen_route(session, ticket, now()) is None
    assert reopen_recent(session, ticket.conversation_id, now()) is None

    holder.presence = "online"
    clock.advance(days=8)
    holder.last_seen_at = now()
    assert reopen_recent(session, ticket.conversation_id, now()) is None
    session.refresh(ticket)
    assert ticket.status == "resolved"


def test_each_queue_has_its_own_idle_return_minutes(
    session, clock, make_queue, make_user, make_ticket
):
    """Issue 17: the minutes are a queue setting (/dashboard/settings), 30 by default."""
    agent, quick = _held(make_queue, make_user, make_ticket)
    colleague, usual = _held(make_queue, make_user, make_ticket)
    quick.queue.idle_return_minutes = 10
    assert usual.queue.idle_return_minutes == 30
    _message(quick, "in")
    _message(usual, "in")
    clock.advance(minutes=11)
    for user in (agent, colleague):
        user.last_seen_at = now()
    assert return_abandoned(session, now()) == 1
    session.refresh(quick)
    session.refresh(usual)
    assert (quick.status, usual.status) == ("waiting", "assigned")
    (event,) = _events(session, quick, "returned")
    assert event.data["business_minutes"] == 10
