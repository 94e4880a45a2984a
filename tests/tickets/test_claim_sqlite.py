"""Claiming on the embedded default (SQLite, no row locks): still one ticket per agent."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.core.extensions import db
from pandawa.tickets.claims import claim_next
from pandawa.tickets.models import Ticket


def test_concurrent_claims_on_sqlite(sqlite_app, clock, make_queue, make_user, make_ticket):
    with sqlite_app.app_context():
        a, b = make_queue(), make_queue()
        agent_ids = [make_user(queues=[a, b]).id for _ in range(8)]
        clock.advance(minutes=-5)
        oldest = make_ticket(queue=b).id
        clock.advance(minutes=5)
        ticket_ids = {oldest} | {make_ticket(queue=q).id for q in (a, b, a)}
        db.session.commit()
        db.session.remove()

    barrier = threading.Barrier(len(agent_ids))
    results: dict[int, int | None] = {}
    errors: list[BaseException] = []

    def claim(agent_id: int) -> None:
        with sqlite_app.app_context():
            try:
                barrier.wait(timeout=60)
                ticket = claim_next(db.session, db.session.get(User, agent_id))
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
    claimed = [t for t in results.values() if t is not None]
    assert sorted(claimed) == sorted(ticket_ids)
    assert list(results.values()).count(None) == 4
    with sqlite_app.app_context():
        holders = dict(db.session.execute(sa.select(Ticket.id, Ticket.assignee_id)).all())
        assert holders == {tid: aid for aid, tid in results.items() if tid}
