"""Queue position and the wait estimate (pandawa.tickets.estimates) with exact numbers: the
place is 1 + the waiting tickets released before this one in its queue (release time, then id;
never the id alone); the estimate fills the online agents' free places first, then the rest of
the queue moves at places / handle time (the queue's mean in office hours), rounded up to 5
minutes. The pure rules (rollover, "today") are in test_eta.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.hours.queries import calendar_for
from pandawa.tickets import estimates

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def released(clock, make_ticket):
    """A ticket of `queue` released at `at` (WIB), in status `status`."""

    def make(queue, at: datetime, status: str = "waiting", **kwargs):
        ticket = make_ticket(queue=queue, status=status, **kwargs)
        ticket.released_at = at
        db.session.flush()
        return ticket

    return make


def online(make_user, queue, seen: datetime, *, active: bool = True):
    user = make_user(queues=[queue])
    user.last_seen_at, user.is_active = seen, active
    db.session.flush()
    return user


def test_the_position_counts_waiting_tickets_released_before_by_time_not_id(
    session, make_queue, make_user, released
):
    queue, other = make_queue(), make_queue()
    agent = make_user(queues=[queue])
    # inserted newest first: ids rise while release times fall
    late = released(queue, datetime(2026, 12, 1, 9, 30, tzinfo=WIB))
    middle = released(queue, datetime(2026, 12, 1, 9, 0, tzinfo=WIB))
    early = released(queue, datetime(2026, 12, 1, 8, 0, tzinfo=WIB))
    twin = released(queue, datetime(2026, 12, 1, 9, 0, tzinfo=WIB))  # same time, higher id
    # none of these is ahead of anyone
    released(other, datetime(2026, 12, 1, 7, 0, tzinfo=WIB))
    released(queue, datetime(2026, 12, 1, 7, 0, tzinfo=WIB), status="assigned", assignee=agent)
    released(queue, datetime(2026, 12, 1, 7, 0, tzinfo=WIB), status="deferred")

    positions = {t.id: estimates.queue_position(session, t) for t in (late, middle, early, twin)}

    assert positions == {early.id: 1, middle.id: 2, twin.id: 3, late.id: 4}


def test_agents_online_are_those_of_the_queue_seen_in_the_last_ten_minutes(
    session, clock, make_queue, make_user
):
    queue, other = make_queue(), make_queue()
    at = now()
    online(make_user, queue, at)
    online(make_user, queue, at - timedelta(minutes=10))  # the edge counts
    online(make_user, queue, at - timedelta(minutes=10, seconds=1))
    online(make_user, queue, at, active=False)
    online(make_user, other, at)
    make_user(queues=[queue])  # never seen

    assert estimates.agents_online(session, queue.id, at) == 2


def test_the_handle_time_is_the_mean_in_office_hours(
    session, make_queue, make_office, make_conversation, released
):
    office = make_office()
    queue = make_queue()
    calendar = calendar_for(session, office)
    assert estimates.recent_handle_seconds(session, queue.id, calendar) == 600  # no history yet

    def handled(start: datetime, end: datetime) -> None:
        ticket = released(queue, start, conversation=make_conversation(office=office))
        ticket.status, ticket.first_response_at, ticket.resolved_at = "resolved", start, end
        db.session.flush()

    # 14:00 Tuesday → 09:00 Wednesday: the night is closed (08:00–15:00), 2 open hours
    handled(datetime(2026, 12, 1, 14, 0, tzinfo=WIB), datetime(2026, 12, 2, 9, 0, tzinfo=WIB))
    handled(datetime(2026, 12, 1, 9, 0, tzinfo=WIB), datetime(2026, 12, 1, 9, 20, tzinfo=WIB))

    # the mean of 1200 and 7200 office seconds (not of the 19 hours on the clock)
    assert estimates.recent_handle_seconds(session, queue.id, calendar) == 4200
    handled(datetime(2026, 12, 1, 10, 0, tzinfo=WIB), datetime(2026, 12, 1, 10, 30, tzinfo=WIB))
    # places free at places / E[handle]: the mean (3400), not the median (1800)
    assert estimates.recent_handle_seconds(session, queue.id, calendar) == 3400


@pytest.mark.parametrize(
    ("position", "agents", "expected"),
    [
        (1, [(1, 0)], 0),  # a free place: answered at once (no history: no answering time)
        (1, [(1, 1)], 600),  # the only place is taken: one handle time
        (3, [(1, 1)], 1800),
        (4, [(5, 5), (5, 5)], 240),  # 4 × 600 / 10 places
        (7, [(2, 1), (3, 0)], 360),  # 4 free places, then 3 × 600 / 5
        (2, [(2, 1), (3, 3)], 120),  # a ticket held in another queue takes a place too
    ],
)
def test_the_estimate_fills_free_places_then_moves_at_places_per_handle_time(
    session, clock, make_queue, make_office, make_user, make_ticket, released,
    position, agents, expected,
):  # fmt: skip
    queue, elsewhere = make_queue(), make_queue()
    for capacity, load in agents:
        agent = online(make_user, queue, now())
        agent.queues.append(elsewhere)
        agent.capacity = capacity
        for n in range(load):
            make_ticket(queue=queue if n % 2 == 0 else elsewhere, status="assigned", assignee=agent)
    ticket = released(queue, now())
    calendar = calendar_for(session, make_office())

    wait = estimates.estimate_wait_seconds(session, ticket, position, now(), calendar)

    assert wait == expected


def test_no_agent_online_gives_no_number(session, make_queue, make_office, make_user, released):
    queue = make_queue()
    online(make_user, queue, now() - timedelta(minutes=11))
    ticket = released(queue, now())
    calendar = calendar_for(session, make_office())

    assert estimates.estimate_wait_seconds(session, ticket, 1, now(), calendar) is None


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(0, 5), (1, 5), (300, 5), (301, 10), (600, 10), (1799, 30), (1800, 30), (1801, 35)],
)
def test_minutes_are_rounded_up_to_five(seconds, minutes):
    assert estimates.rounded_minutes(seconds) == minutes


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tickets=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=5),  # minutes after 08:00: many ties
            st.sampled_from(["waiting", "waiting", "deferred", "assigned"]),
            st.booleans(),  # in the queue, or in another one
        ),
        min_size=1,
        max_size=12,
    ),
    agents=st.integers(min_value=1, max_value=4),
)
def test_position_and_estimate_properties(
    session, make_queue, make_office, make_user, released, tickets, agents
):
    savepoint = db.session.begin_nested()
    try:
        queue, other = make_queue(), make_queue()
        holder = make_user(queues=[queue])
        for _ in range(agents):
            online(make_user, queue, now())
        calendar = calendar_for(session, make_office())
        made = []
        for minute, status, mine in tickets:
            at = datetime(2026, 12, 1, 8, minute, tzinfo=WIB)
            assignee = holder if status == "assigned" else None
            made.append(released(queue if mine else other, at, status, assignee=assignee))

        waiting = [t for t in made if t.status == "waiting" and t.queue_id == queue.id]
        for ticket in waiting:
            ahead = [t for t in waiting if (t.released_at, t.id) < (ticket.released_at, ticket.id)]
            assert estimates.queue_position(session, ticket) == 1 + len(ahead)
        # the positions of a queue's waiting tickets are 1..n, each once
        assert sorted(estimates.queue_position(session, t) for t in waiting) == list(
            range(1, len(waiting) + 1)
        )
        # a later place never waits less; past the free places (5 per agent), every `places`
        # more citizens ahead add one handle time
        if waiting:
            ticket = waiting[0]
            places = 5 * agents
            waits = [
                estimates.estimate_wait_seconds(session, ticket, p, now(), calendar)
                for p in range(1, 3 * places + 2)
            ]
            assert waits == sorted(waits)
            assert waits[places - 1] == 0
            assert waits[2 * places] - waits[places] == estimates.DEFAULT_HANDLE_SECONDS
    finally:
        savepoint.rollback()
