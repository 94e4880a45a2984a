"""Claiming: the oldest waiting ticket of my queues, never one ticket to two agents."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.core.extensions import db
from pandawa.tickets.claims import claim_next
from pandawa.tickets.models import Ticket, TicketEvent


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
    assert ticket.assigned_at is not None
    event = session.scalars(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "claimed"
        )
    ).one()
    assert event.actor_id == agent.id


def test_equal_release_times_go_by_id(session, make_queue, make_user, make_ticket):
    queue = make_queue()
    first, second = make_ticket(queue=queue), make_ticket(queue=queue)
    agent = make_user(queues=[queue])
    assert claim_next(session, agent).id == first.id
    assert claim_next(session, agent).id == second.id


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


def test_twenty_concurrent_claims_on_ten_tickets(app, live_db, make_queue, make_user, make_ticket):
    with app.app_context():
        queue = make_queue()
        agent_ids = [make_user(queues=[queue]).id for _ in range(20)]
        ticket_ids = {make_ticket(queue=queue).id for _ in range(10)}
        db.session.commit()
        db.session.remove()

    barrier = threading.Barrier(len(agent_ids))
    results: dict[int, int | None] = {}
    errors: list[BaseException] = []

    def claim(agent_id: int) -> None:
        with app.app_context():
            try:
                # touch no connection before the barrier: every thread starts from the same point
                barrier.wait(timeout=60)
                user = db.session.get(User, agent_id)
                ticket = claim_next(db.session, user)
                db.session.commit()
                results[agent_id] = ticket.id if ticket else None
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim, args=(i,)) for i in agent_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert len(results) == 20
    claimed = [t for t in results.values() if t is not None]
    assert sorted(claimed) == sorted(ticket_ids)  # every ticket once, none twice
    assert list(results.values()).count(None) == 10
    with app.app_context():
        rows = db.session.execute(sa.select(Ticket.id, Ticket.status, Ticket.assignee_id)).all()
        assert {(tid, "assigned", aid) for aid, tid in results.items() if tid} == set(rows)
        events = db.session.scalars(
            sa.select(TicketEvent.ticket_id).where(TicketEvent.kind == "claimed")
        ).all()
        assert sorted(events) == sorted(ticket_ids)
