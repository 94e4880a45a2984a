"""Automatic assignment: waiting tickets to online agents, least loaded first, within capacity."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pandawa.core.clock import now
from pandawa.tickets.assign import assign_waiting
from pandawa.tickets.claims import claim_next
from pandawa.tickets.models import Ticket, TicketEvent
from pandawa.tickets.tasks import auto_assign
from tests.harness import at_once


def _online(user, *, capacity: int = 2, presence: str = "online", seen_ago: float = 0):
    user.presence = presence
    user.capacity = capacity
    user.last_seen_at = now() - timedelta(minutes=seen_ago)
    return user


def _auto_queue(make_queue):
    queue = make_queue()
    queue.is_auto_assign = True
    return queue


def _waiting(clock, make_ticket, queue, count: int) -> list[Ticket]:
    tickets = []
    for _ in range(count):
        tickets.append(make_ticket(queue=queue))
        clock.advance(seconds=1)
    return tickets


def _holders(session, tickets) -> list[int | None]:
    for ticket in tickets:
        session.refresh(ticket)
    return [t.assignee_id for t in tickets]


def test_two_agents_share_five_tickets_least_loaded_first(
    session, clock, make_queue, make_user, make_ticket
):
    queue, other = _auto_queue(make_queue), make_queue()
    busy = _online(make_user(queues=[queue, other]), capacity=3)
    idle = _online(make_user(queues=[queue]), capacity=2)
    clock.advance(minutes=-30)
    make_ticket(queue=other, status="assigned", assignee=busy)  # busy holds one already
    clock.advance(minutes=30)
    tickets = _waiting(clock, make_ticket, queue, 5)

    assert assign_waiting(session, now()) == 4

    holders = _holders(session, tickets)
    # the oldest goes to the agent holding nothing; then they alternate; the newest waits
    assert holders == [idle.id, busy.id, idle.id, busy.id, None]
    assert [t.status for t in tickets] == ["assigned"] * 4 + ["waiting"]
    event = session.scalars(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == tickets[0].id, TicketEvent.kind == "assigned"
        )
    ).one()
    assert event.actor_id is None
    assert event.data["auto"] is True
    assert tickets[0].assigned_at == now()


def test_equal_loads_go_round_robin_oldest_assignment_first(
    session, clock, make_queue, make_user, make_ticket
):
    queue = _auto_queue(make_queue)
    recent = _online(make_user(queues=[queue]), capacity=5)
    longest_ago = _online(make_user(queues=[queue]), capacity=5)
    clock.advance(hours=-3)
    make_ticket(queue=queue, status="resolved", assignee=longest_ago)
    clock.advance(hours=2)
    make_ticket(queue=queue, status="resolved", assignee=recent)
    clock.advance(hours=1)
    tickets = _waiting(clock, make_ticket, queue, 3)

    assign_waiting(session, now())

    assert _holders(session, tickets) == [longest_ago.id, recent.id, longest_ago.id]


def test_away_offline_and_stale_agents_get_nothing(
    session, clock, make_queue, make_user, make_ticket
):
    queue = _auto_queue(make_queue)
    _online(make_user(queues=[queue]), presence="away")
    _online(make_user(queues=[queue]), presence="offline")
    _online(make_user(queues=[queue]), seen_ago=11)  # chose online, but gone quiet
    never_seen = make_user(queues=[queue])
    never_seen.presence = "online"
    tickets = _waiting(clock, make_ticket, queue, 2)

    assert assign_waiting(session, now()) == 0
    assert _holders(session, tickets) == [None, None]


def test_full_agent_gets_nothing(session, clock, make_queue, make_user, make_ticket):
    queue = _auto_queue(make_queue)
    agent = _online(make_user(queues=[queue]), capacity=1)
    make_ticket(queue=queue, status="assigned", assignee=agent)
    (ticket,) = _waiting(clock, make_ticket, queue, 1)

    assert assign_waiting(session, now()) == 0
    session.refresh(ticket)
    assert ticket.status == "waiting"


def test_queue_without_auto_assign_is_untouched_and_claim_still_works(
    session, clock, make_queue, make_user, make_ticket
):
    queue = make_queue()
    agent = _online(make_user(queues=[queue]))
    (ticket,) = _waiting(clock, make_ticket, queue, 1)

    assert assign_waiting(session, now()) == 0
    session.refresh(ticket)
    assert ticket.status == "waiting"
    assert claim_next(session, agent).id == ticket.id


def test_agent_of_another_queue_gets_nothing(session, clock, make_queue, make_user, make_ticket):
    queue = _auto_queue(make_queue)
    _online(make_user(queues=[make_queue()]))
    (ticket,) = _waiting(clock, make_ticket, queue, 1)

    assert assign_waiting(session, now()) == 0
    session.refresh(ticket)
    assert ticket.assignee_id is None


def test_running_twice_changes_nothing_more(session, clock, make_queue, make_user, make_ticket):
    queue = _auto_queue(make_queue)
    _online(make_user(queues=[queue]), capacity=2)
    tickets = _waiting(clock, make_ticket, queue, 3)

    assert assign_waiting(session, now()) == 2
    first = _holders(session, tickets)
    clock.advance(seconds=15)
    assert assign_waiting(session, now()) == 0

    assert _holders(session, tickets) == first
    events = session.scalar(
        sa.select(sa.func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id.in_([t.id for t in tickets]), TicketEvent.kind == "assigned")
    )
    assert events == 2


def test_beat_task_assigns_and_commits(session, clock, make_queue, make_user, make_ticket):
    queue = _auto_queue(make_queue)
    agent = _online(make_user(queues=[queue]))
    (ticket,) = _waiting(clock, make_ticket, queue, 1)

    assert auto_assign() == 1

    session.expire_all()
    assert session.get(Ticket, ticket.id).assignee_id == agent.id


def test_two_beats_at_once_never_exceed_capacity(
    app, live_db, clock, make_conversation, make_ticket
):

    from pandawa.accounts.models import User
    from pandawa.core.extensions import db
    from pandawa.hours.models import Office
    from pandawa.tickets.models import Queue

    with app.app_context():
        office = Office(
            code="OFFBEAT",
            name="Kantor",
            whatsapp_address="whatsapp:+6281100000009",
            timezone="Asia/Jakarta",
            weekly_hours={},
            updated_at=now(),
        )
        queue = Queue(code="QBEAT", name_id="A", name_en="A", is_auto_assign=True)
        db.session.add_all([office, queue])
        db.session.flush()
        agents = [
            User(
                email=f"beat{i}@example.go.id",
                role="agent",
                created_at=now(),
                presence="online",
                capacity=2,
                last_seen_at=now(),
                queues=[queue],
            )
            for i in range(2)
        ]
        db.session.add_all(agents)
        for i in range(10):
            conversation = make_conversation(f"whatsapp:+6281299{i:06d}", office=office)
            make_ticket(queue=queue, conversation=conversation)
        db.session.commit()

    def beat(_: int) -> int:
        count = assign_waiting(db.session, now())
        db.session.commit()
        return count

    counts = at_once(beat, range(4), app=app)

    with app.app_context():
        held = db.session.execute(
            sa.select(Ticket.assignee_id, sa.func.count())
            .where(Ticket.status == "assigned")
            .group_by(Ticket.assignee_id)
        ).all()
        assert sum(counts) == 4
        assert sorted(n for _, n in held) == [2, 2]
        events = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.kind == "assigned")
        )
        assert events == 4
