"""Claiming (pandawa.tickets.claims): the oldest waiting ticket of my queues, never one ticket
to two agents."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.core.extensions import db
from pandawa.tickets.claims import claim_next
from pandawa.tickets.models import Ticket, TicketEvent
from tests.harness import at_once


def test_claims_oldest_waiting_ticket_across_my_queues(
    session, clock, make_queue, make_user, make_ticket
):
    a, b = make_queue(), make_queue()
    agent = make_user(queues=[a, b])
    newer_in_a = make_ticket(queue=a)
    clock.advance(minutes=-10)
    oldest_in_b = make_ticket(queue=b)
    clock.advance(minutes=5)
    middle_in_a = make_ticket(queue=a)
    clock.advance(minutes=7)  # the claim's time is none of the tickets' times

    claimed = [claim_next(session, agent) for _ in range(4)]

    assert [t.number if t else None for t in claimed] == [
        oldest_in_b.number,
        middle_in_a.number,
        newer_in_a.number,
        None,
    ]
    ticket = claimed[0]
    assert ticket.status == "assigned"
    assert ticket.assignee_id == agent.id
    assert ticket.assigned_at == clock.now()
    event = session.scalars(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "claimed"
        )
    ).one()
    assert (event.actor_id, event.created_at) == (agent.id, clock.now())


def test_equal_release_times_go_by_id(session, make_queue, make_user, make_ticket):
    queue = make_queue()
    first, second = make_ticket(queue=queue), make_ticket(queue=queue)
    agent = make_user(queues=[queue])
    assert claim_next(session, agent).id == first.id
    assert claim_next(session, agent).id == second.id


def test_claim_order_is_release_time_then_id_on_each_database(
    database, clock, make_queue, make_user, make_ticket
):
    """The oldest release first across my queues, equal release times by id, whatever order
    the rows were inserted in: on PostgreSQL (`_CLAIM_SQL`) and on SQLite (`_claim_portable`)
    alike. Ids rise in insertion order; the claim order is the 4th, 2nd, 3rd, 1st inserted."""
    with database.app_context():
        a, b, elsewhere = make_queue(), make_queue(), make_queue()
        agent_id = make_user(queues=[a, b]).id

        def released(queue, minutes: int, status: str = "waiting") -> str:
            ticket = make_ticket(queue=queue, status=status)
            if status == "waiting":
                ticket.released_at = clock.now() + timedelta(minutes=minutes)
            db.session.flush()
            return ticket.number

        late = released(a, 30)  # created first, released last (deferred until opening)
        tie_b = released(b, 10)
        tie_a = released(a, 10)  # same release time as tie_b, a larger id
        first = released(b, 0)  # created after the others, released before them
        released(elsewhere, -60)  # older than all, not my queue
        released(a, -60, status="deferred")
        db.session.commit()

        claimed = []
        for _ in range(5):
            ticket = claim_next(db.session, db.session.get(User, agent_id))
            claimed.append(ticket.number if ticket else None)
            db.session.commit()
        db.session.remove()

    assert claimed == [first, tie_b, tie_a, late, None]


def test_skips_other_queues_deferred_and_assigned_tickets(
    session, make_queue, make_user, make_ticket
):
    mine, theirs = make_queue(), make_queue()
    agent, other = make_user(queues=[mine]), make_user(queues=[mine])
    make_ticket(queue=theirs)
    make_ticket(queue=mine, status="deferred")
    make_ticket(queue=mine, status="assigned", assignee=other)

    assert claim_next(session, agent) is None


def test_supervisor_claims_only_from_own_queues(session, make_queue, make_user, make_ticket):
    make_ticket(queue=make_queue())
    supervisor = make_user(role="supervisor")
    assert claim_next(session, supervisor) is None


def test_claim_endpoint_answers_ticket_then_204(
    session, client, make_queue, make_user, make_ticket, make_token
):
    queue = make_queue()
    ticket = make_ticket(queue=queue)
    agent = make_user(queues=[queue])
    headers = {"Authorization": f"Bearer {make_token(agent)}"}

    first = client.post("/api/v1/tickets/claim", headers=headers)
    second = client.post("/api/v1/tickets/claim", headers=headers)

    assert first.status_code == 200
    assert first.json["number"] == ticket.number
    assert first.json["status"] == "assigned"
    assert first.json["assignee"] == agent.email
    assert first.json["messages"] == []
    assert second.status_code == 204
    assert second.data == b""


# PostgreSQL with one queue: there a claimer of several queues locks the head of each of them
# until its commit (`FOR UPDATE SKIP LOCKED` in each LATERAL walk), so under this much contention
# a claimer can come back empty while a ticket still waits.
@pytest.mark.parametrize(
    ("database", "queues"), [("postgresql", 1), ("sqlite", 2)], indirect=["database"]
)
def test_twenty_concurrent_claims_on_ten_tickets(
    database, queues, clock, make_queue, make_user, make_ticket
):
    """On PostgreSQL (row locks) and on the embedded default (SQLite, no row locks) alike: one
    ticket per agent, every ticket once."""
    with database.app_context():
        mine = [make_queue() for _ in range(queues)]
        agent_ids = [make_user(queues=mine).id for _ in range(20)]
        clock.advance(minutes=-5)
        oldest = make_ticket(queue=mine[-1]).id
        clock.advance(minutes=5)
        ticket_ids = {oldest} | {make_ticket(queue=mine[i % queues]).id for i in range(9)}
        db.session.commit()
        db.session.remove()

    def claim(agent_id: int) -> int | None:
        ticket = claim_next(db.session, db.session.get(User, agent_id))
        db.session.commit()
        return ticket.id if ticket else None

    results = dict(zip(agent_ids, at_once(claim, agent_ids, app=database), strict=True))

    assert len(results) == 20
    claimed = [t for t in results.values() if t is not None]
    assert sorted(claimed) == sorted(ticket_ids)  # every ticket once, none twice
    assert list(results.values()).count(None) == 10
    with database.app_context():
        rows = db.session.execute(sa.select(Ticket.id, Ticket.status, Ticket.assignee_id)).all()
        assert {(tid, "assigned", aid) for aid, tid in results.items() if tid} == set(rows)
        holders = dict(db.session.execute(sa.select(Ticket.id, Ticket.assignee_id)).all())
        assert holders == {tid: aid for aid, tid in results.items() if tid}
        events = db.session.scalars(
            sa.select(TicketEvent.ticket_id).where(TicketEvent.kind == "claimed")
        ).all()
        assert sorted(events) == sorted(ticket_ids)
        db.session.remove()
