"""Surge mode through the real webhook → outbox → worker path (issue 17): a flood of 300
distinct citizens asks for an officer within a minute while the general queue is in surge with
a live cap of 20 and one agent online. Exactly 20 wait live; the other 280 are deferred in the
order their handoffs were taken; every citizen gets exactly one reply with their ticket number
and an honest time — "today at about …" only while one agent gets there before 15.00, else the
next opening in the Indonesian date form; every message is stored and processed once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.core.extensions import db
from pandawa.tickets import surge
from pandawa.tickets.models import Queue, Ticket
from tests.stack import TUESDAY_10_WIB, agent_token, citizen, inbound_form, sid

CITIZENS = 300
CAP = 20
NEXT_OPENING = "Rabu, 2 Desember 2026 pukul 08.00 WIB"
HANDLE = timedelta(minutes=10)  # the default handle time of a queue without history
CLOSING = TUESDAY_10_WIB.replace(hour=15)


def _queue_in_surge(stack) -> str:
    with stack.app.app_context():
        code = active_catalog().default_queue
        queue = db.session.scalar(sa.select(Queue).where(Queue.code == code))
        queue.live_capacity = CAP
        surge.switch(db.session, queue, True, stack.clock.now())
        db.session.commit()
        db.session.remove()
    return code


def _surge_off(stack, code: str) -> None:
    """The queue table outlives each test (tests/stack.py keeps the catalogue's rows)."""
    with stack.app.app_context():
        queue = db.session.scalar(sa.select(Queue).where(Queue.code == code))
        queue.live_capacity = queue.surge_since = queue.surge_by = None
        db.session.commit()
        db.session.remove()


def _agent_online(stack, code: str) -> None:
    agent_token(stack, code)
    with stack.app.app_context():
        # one citizen at a time, so the queue moves at one per handle time
        db.session.execute(sa.update(User).values(last_seen_at=stack.clock.now(), capacity=1))
        db.session.commit()
        db.session.remove()


def _expected_time(position: int) -> str:
    """The honest estimate (tickets/estimates.py) by hand: the one agent takes the first at
    once, then one per handle time; "today" only with a quarter of the wait (at least 5
    minutes) left before closing, else the next opening."""
    wait = (position - 1) * HANDLE
    served = TUESDAY_10_WIB + wait
    if CLOSING - served >= max(timedelta(minutes=5), wait / 4):
        return f"hari ini sekitar pukul {served:%H.%M} WIB"
    return NEXT_OPENING


def test_a_flood_beyond_the_cap_is_capped_told_and_nothing_is_lost(e2e, fake_twilio):
    code = _queue_in_surge(e2e)
    try:
        _agent_online(e2e, code)
        people = list(dict.fromkeys(citizen() for _ in range(CITIZENS)))
        assert len(people) == CITIZENS
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(
                pool.map(lambda who: e2e.post_webhook(inbound_form(sid(), who, "petugas")), people)
            )
        assert [a.status_code for a in answers] == [200] * CITIZENS
        fake_twilio.wait_for(lambda sent: len(sent) >= CITIZENS, timeout=240)

        tickets = e2e.rows(
            sa.select(Ticket.number, Ticket.status, Ticket.surge_deferred_at, Message.sender)
            .join(Message, Message.ticket_id == Ticket.id)
            .where(Message.direction == "in")
            .order_by(Ticket.created_at, Ticket.id)
        )
        assert len(tickets) == CITIZENS
        # capped: the first 20 handoffs wait live, every later one is deferred behind them
        assert [status for _, status, _, _ in tickets] == ["waiting"] * CAP + ["deferred"] * (
            CITIZENS - CAP
        )
        assert all(at is not None for _, _, at, _ in tickets[CAP:])

        # every citizen: exactly one reply, their number and an honest time
        for position, (number, status, _, who) in enumerate(tickets, start=1):
            (reply,) = [m.body for m in fake_twilio.sent_to(who)]
            assert number in reply
            if status == "waiting":
                assert f"antrean ke-{position}" in reply and "perkiraan waktu tunggu" in reply
            else:
                assert "paling cepat" in reply and _expected_time(position) in reply
        told_today = sum("hari ini sekitar" in m.body for m in fake_twilio.messages)
        # positions 21–25 are served by 14.00 with an hour or more to spare; 26+ tomorrow
        assert told_today == 5

        # nothing lost: every inbound stored once and processed, one outbound each, all sent
        inbound = e2e.rows(
            sa.select(Message.sender, Message.processed_at).where(Message.direction == "in")
        )
        assert sorted(s for s, _ in inbound) == sorted(people)
        assert all(processed is not None for _, processed in inbound)
        outbound = e2e.rows(
            sa.select(Message.recipient, Message.status).where(Message.direction == "out")
        )
        assert sorted(r for r, _ in outbound) == sorted(people)
        assert {status for _, status in outbound} <= {"queued", "sent", "delivered"}

        # five live citizens leave: beat's surge task fills their places with the five oldest
        # deferred, and tells exactly those five
        with e2e.app.app_context():
            db.session.execute(
                sa.update(Ticket)
                .where(Ticket.number.in_([number for number, *_ in tickets[:5]]))
                .values(status="cancelled", cancelled_at=e2e.clock.now())
            )
            db.session.commit()
            from pandawa.tickets.tasks import surge as surge_task

            assert surge_task() == 5
            db.session.remove()
        moved = [who for *_, who in tickets[CAP : CAP + 5]]
        fake_twilio.wait_for(lambda sent: len(sent) >= CITIZENS + 5, timeout=60)
        for who in moved:
            assert "kini masuk antrean petugas" in fake_twilio.sent_to(who)[-1].body
        assert sum(len(fake_twilio.sent_to(who)) for who in people) == CITIZENS + 5
        live = e2e.rows(sa.select(Ticket.number).where(Ticket.status == "waiting"))
        assert len(live) == CAP
    finally:
        _surge_off(e2e, code)
