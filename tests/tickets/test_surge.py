"""Surge mode (issue 17): the live cap, arrival order, the honest time, the top-up as the live
queue drains, the normal release leaving a capped queue alone, and the threshold rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandawa.audit.models import AuditEvent
from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.hours.queries import calendars_for_offices
from pandawa.provisioning.operations import load_default
from pandawa.tickets import surge, surge_rule
from pandawa.tickets.intake import hand_off
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.release import release_due
from tests.conversations.helpers import citizen

WIB = timezone(timedelta(hours=7))
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=WIB)
NEXT_OPENING = "Rabu, 2 Desember 2026 pukul 08.00 WIB"


@pytest.fixture
def supervisor(make_user):
    return make_user(role="supervisor")


@pytest.fixture
def queue(session, clock, supervisor):
    clock.set(TUESDAY_10)
    load_default(session)
    queue = session.scalar(sa.select(Queue).where(Queue.code == active_catalog().default_queue))
    queue.live_capacity = 3
    surge.switch(session, queue, True, TUESDAY_10, actor=supervisor)
    assert queue.surge_by == supervisor.email
    return queue


def arrive(session, queue, language="id"):
    conversation = citizen(session)
    conversation.contact.language = language
    conversation.last_inbound_at = TUESDAY_10  # the citizen just wrote: the window is open
    return hand_off(
        session, active_catalog(), conversation, conversation.contact, queue, {"service": "x"}
    )


def statuses(session, queue):
    return session.execute(
        sa.select(Ticket.status, Ticket.surge_deferred_at.is_not(None))
        .where(Ticket.queue_id == queue.id)
        .order_by(Ticket.created_at, Ticket.id)
    ).all()


def test_beyond_the_cap_tickets_are_deferred_in_order_with_their_number_and_a_time(session, queue):
    handoffs = [arrive(session, queue) for _ in range(7)]

    assert [h.ticket.status for h in handoffs] == ["waiting"] * 3 + ["deferred"] * 4
    assert [h.surge for h in handoffs] == [False] * 3 + [True] * 4
    for handoff in handoffs[3:]:
        # one reply: the number and, with no agent online, the next working day's opening
        (reply,) = handoff.replies
        assert handoff.ticket.number in reply and NEXT_OPENING in reply
        assert "paling cepat" in reply
    assert surge.live_waiting(session, queue.id) == 3


def test_a_place_freed_in_the_live_queue_goes_to_the_oldest_deferred_not_a_newcomer(session, queue):
    handoffs = [arrive(session, queue) for _ in range(5)]
    handoffs[0].ticket.status = "cancelled"  # a live place frees up
    session.flush()

    newcomer = arrive(session, queue)
    assert newcomer.ticket.status == "deferred"  # behind the two deferred before it

    assert surge_rule.top_up(session, TUESDAY_10) == 1
    session.expire_all()
    assert [h.ticket.status for h in handoffs[1:]] == ["waiting"] * 3 + ["deferred"]
    told = session.scalar(
        sa.select(Message.body).where(
            Message.ticket_id == handoffs[3].ticket.id, Message.direction == "out"
        )
    )
    assert handoffs[3].ticket.number in told and "antrean petugas" in told
    assert surge_rule.top_up(session, TUESDAY_10) == 0  # full again: idempotent


def test_the_time_is_today_only_when_the_agents_online_get_there_before_closing(
    session, queue, make_user
):
    agent = make_user(queues=[queue])
    agent.last_seen_at = TUESDAY_10
    agent.capacity = 1  # one citizen at a time: the queue moves at one per handle time
    session.flush()
    handoffs = [arrive(session, queue) for _ in range(4)]
    # 4th in line, one agent taking the first at once, then the default 10-minute handle
    # time each (tickets/estimates.py): 3 × 10 minutes
    assert "hari ini sekitar pukul 10.30 WIB" in handoffs[3].replies[0]
    english = arrive(session, queue, language="en")
    assert "today at about 10:40 WIB" in english.replies[0]

    for _ in range(25):  # 5 hours of work ahead of the last: not today
        last = arrive(session, queue)
    assert NEXT_OPENING in last.replies[0]
    assert "hari ini" not in last.replies[0]


def test_the_release_at_opening_leaves_a_capped_queue_to_the_top_up(session, queue, clock):
    handoffs = [arrive(session, queue) for _ in range(6)]
    for handoff in handoffs[:3]:
        handoff.ticket.status = "cancelled"
    session.flush()
    wednesday = datetime(2026, 12, 2, 8, 0, tzinfo=WIB)
    clock.set(wednesday)
    assert release_due(session, wednesday) == 0
    assert surge_rule.top_up(session, wednesday) == 3

    surge.switch(session, queue, True, wednesday)  # already on: nothing written
    more = [arrive(session, queue) for _ in range(2)]
    assert surge.switch(session, queue, False, wednesday)
    assert release_due(session, wednesday) == 2  # the surge over: the normal release takes them
    session.expire_all()
    assert all(h.ticket.status == "waiting" for h in more)
    actions = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["surge_on", "surge_off"]


def test_without_a_cap_surge_defers_nobody(session, queue):
    queue.live_capacity = None
    session.flush()
    assert all(arrive(session, queue).ticket.status == "waiting" for _ in range(5))


def test_the_rule_switches_on_above_its_threshold_and_off_with_hysteresis(
    session, queue, make_user
):
    surge.switch(session, queue, False, TUESDAY_10)
    queue.surge_auto_ratio = 1.0
    queue.live_capacity = None  # the rule's arithmetic alone: every arrival waits live
    agent = make_user(queues=[queue])
    agent.capacity = 1
    agent.last_seen_at = TUESDAY_10
    session.flush()
    calendars = calendars_for_offices(session)
    # 10:00 to 15:00 with one agent of capacity 1 and 10-minute handling: 30 servable
    fc = surge_rule.forecast(session, queue, TUESDAY_10, calendars)
    assert (fc.servable_today, fc.online_capacity, fc.remaining_seconds) == (30, 1, 5 * 3600)

    for _ in range(5):  # 5 arrivals in the last hour: 25 more expected before closing
        arrive(session, queue)
    assert surge_rule.apply_rule(session, TUESDAY_10) == 0  # 5 + 25 ≤ 1.0 × 30
    arrive(session, queue)
    assert surge_rule.apply_rule(session, TUESDAY_10) == 1  # 6 + 30 > 30
    assert queue.surge_by == "rule" and queue.surge_since is not None

    # an hour later nobody new arrived and 4 of 6 were served: 2 < 0.8 × 23 → off
    later = TUESDAY_10 + timedelta(hours=1, minutes=1)
    agent.last_seen_at = later
    for ticket in session.scalars(sa.select(Ticket).where(Ticket.queue_id == queue.id)).all()[:4]:
        ticket.status = "cancelled"
    session.flush()
    assert surge_rule.apply_rule(session, later) == 1
    assert queue.surge_since is None


def test_the_rule_leaves_a_supervisors_surge_and_closed_offices_alone(session, queue, clock):
    queue.surge_auto_ratio = 100.0
    session.flush()
    assert surge_rule.apply_rule(session, TUESDAY_10) == 0  # begun by hand: not the rule's
    surge.switch(session, queue, False, TUESDAY_10)
    queue.surge_auto_ratio = 0.01
    evening = datetime(2026, 12, 1, 20, 0, tzinfo=WIB)
    arrive(session, queue)
    assert surge_rule.apply_rule(session, evening) == 0  # closed: outside hours all defer


# -- the cap and the order as a property over any sequence of arrivals, departures, top-ups ---

OPERATIONS = st.lists(st.sampled_from(["arrive", "arrive", "leave", "top_up"]), max_size=20)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cap=st.integers(min_value=1, max_value=4), operations=OPERATIONS)
def test_the_live_queue_never_exceeds_the_cap_and_nobody_is_passed(
    session, queue, make_queue, supervisor, cap, operations
):
    fresh = make_queue()  # one queue per example: the test's transaction keeps them all
    fresh.live_capacity = cap
    surge.switch(session, fresh, True, TUESDAY_10, actor=supervisor)
    arrived: list[Ticket] = []
    for operation in operations:
        if operation == "arrive":
            arrived.append(arrive(session, fresh).ticket)
        elif operation == "leave":
            live = [t for t in arrived if t.status == "waiting"]
            if live:
                live[0].status = "cancelled"
                session.flush()
        else:
            surge_rule.top_up(session, TUESDAY_10)
            session.expire_all()
        assert surge.live_waiting(session, fresh.id) <= cap
        # whoever ever went live arrived before everyone still deferred
        went_live = [i for i, t in enumerate(arrived) if t.status != "deferred"]
        deferred = [i for i, t in enumerate(arrived) if t.status == "deferred"]
        assert not went_live or not deferred or max(went_live) < min(deferred)
