"""The honest estimate as a pure function (pandawa.tickets.estimates.estimate): from the place
in the queue, the queue's recent times, the agents online with their capacity and load, the
office's calendar and the instant. "Today" only when the office is open and the citizen will
be served before today's closing; otherwise the day and time at a later opening; no number
without agents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.hours.calendar import Override, build_calendar
from pandawa.hours.queries import holiday_map
from pandawa.tickets.estimates import (
    LATER,
    NO_AGENTS,
    TODAY,
    QueueTimes,
    Staff,
    add_business_seconds,
    estimate,
    today_margin,
)

WIB = ZoneInfo("Asia/Jakarta")
HOLIDAYS = holiday_map("ID", ("public", "government"), range(2026, 2029))
WEEKDAYS = {d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
WITH_BREAK = {d: [["08:00", "12:00"], ["13:00", "16:00"]] for d in ("mon", "tue", "wed", "thu")}
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=WIB)


CALENDAR = build_calendar(WEEKDAYS, "Asia/Jakarta", HOLIDAYS)
ONE = [Staff(capacity=1, load=1)]
TIMES = QueueTimes(handle_seconds=600, answer_seconds=60)


def test_a_short_queue_is_served_today_in_minutes():
    guess = estimate(3, TIMES, ONE, CALENDAR, wib(1, 10))  # Tuesday 10:00
    assert guess.kind == TODAY
    assert guess.wait_seconds == 3 * 600 + 60
    assert guess.served_at == wib(1, 10, 31)


def test_at_1455_twenty_minutes_roll_over_to_the_next_opening():
    # the case: "about 20 minutes" at 14:55 is not today; 5 minutes today, 15 tomorrow
    guess = estimate(2, QueueTimes(600, 0), ONE, CALENDAR, wib(1, 14, 55))
    assert guess.kind == LATER
    assert guess.served_at == wib(2, 8, 15)
    assert guess.shown_at == wib(2, 8, 15)


def test_the_rollover_skips_the_weekend_and_christmas():
    # Wed 23 Dec 14:50: Thu 24 (cuti bersama), Fri 25 (Natal), the weekend: Mon 28 Dec
    guess = estimate(4, QueueTimes(600, 0), ONE, CALENDAR, wib(23, 14, 50))
    assert guess.kind == LATER
    assert guess.served_at == wib(28, 8, 30)


def test_a_close_now_override_is_obeyed():
    closed = build_calendar(
        WEEKDAYS,
        "Asia/Jakarta",
        HOLIDAYS,
        overrides=[Override(wib(1, 11), wib(1, 15), "closed")],  # flood: closed from 11:00
    )
    guess = estimate(3, QueueTimes(600, 0), ONE, closed, wib(1, 10, 50))
    assert guess.kind == LATER
    assert guess.served_at == wib(2, 8, 20)


def test_the_shown_time_is_floored_to_five_minutes_within_the_open_stretch():
    guess = estimate(1, QueueTimes(7 * 3600 + 17 * 60, 0), ONE, CALENDAR, wib(1, 8))
    assert guess.served_at == wib(2, 8, 17)
    assert guess.shown_at == wib(2, 8, 15)


def test_just_before_closing_is_not_realistic_today():
    # 14:30, 25 minutes: served 14:55 with 5 minutes left, less than a quarter of the wait
    guess = estimate(1, QueueTimes(1500, 0), ONE, CALENDAR, wib(1, 14, 30))
    assert guess.kind == LATER and guess.served_at == wib(1, 14, 55)
    assert guess.shown_at == wib(2, 8)  # the citizen hears the next opening
    # 14:00, 25 minutes: 35 minutes left, realistic
    assert estimate(1, QueueTimes(1500, 0), ONE, CALENDAR, wib(1, 14)).kind == TODAY


def test_no_agent_online_or_no_place_gives_no_number():
    assert estimate(1, TIMES, [], CALENDAR, wib(1, 10)).kind == NO_AGENTS
    assert estimate(1, TIMES, [Staff(capacity=0)], CALENDAR, wib(1, 10)).kind == NO_AGENTS
    assert estimate(1, TIMES, [], CALENDAR, wib(1, 10)).wait_seconds is None


def test_before_opening_it_is_never_today_in_minutes():
    guess = estimate(1, QueueTimes(600, 0), ONE, CALENDAR, wib(1, 7, 30))
    assert guess.kind == LATER and guess.served_at == wib(1, 8, 10)


# -- properties ------------------------------------------------------------------------------
def _whole(at: datetime) -> datetime:
    # business seconds count whole second marks (hours/calendar.py): instants on whole seconds
    return at.replace(microsecond=0)


calendars = st.builds(
    lambda weekly, zone, close: build_calendar(
        weekly,
        zone,
        HOLIDAYS,
        overrides=[Override(close, close + timedelta(hours=3), "closed")] if close else [],
    ),
    st.sampled_from([WEEKDAYS, WITH_BREAK]),
    st.sampled_from(ZONES),
    st.one_of(
        st.none(),
        st.datetimes(datetime(2026, 11, 30), datetime(2026, 12, 31), timezones=st.just(UTC)).map(
            _whole
        ),
    ),
)
instants = st.datetimes(datetime(2026, 11, 28), datetime(2027, 1, 10), timezones=st.just(UTC)).map(
    _whole
)
staffs = st.lists(st.builds(Staff, st.integers(0, 6), st.integers(0, 8)), min_size=0, max_size=5)
times = st.builds(QueueTimes, st.integers(0, 3 * 3600), st.integers(0, 900))


@settings(max_examples=150)
@given(calendar=calendars, at=instants, staff=staffs, queue=times, position=st.integers(1, 60))
def test_estimate_properties(calendar, at, staff, queue, position):
    guess = estimate(position, queue, staff, calendar, at)
    if sum(s.capacity for s in staff) == 0:
        assert guess.kind == NO_AGENTS and guess.wait_seconds is None
        return
    served = guess.served_at
    assert served is not None and guess.shown_at is not None
    # the rollover (and every estimate) lands on an open time, floored within its stretch
    assert calendar.is_open(served) and calendar.is_open(guess.shown_at)
    if not (guess.kind == LATER and guess.shown_at > served):
        assert guess.shown_at <= served < guess.shown_at + timedelta(minutes=5)
    assert served >= at
    # exactly the estimated office time passes between now and then
    assert calendar.business_seconds(at, served) == guess.wait_seconds
    same_day = calendar.is_open(at) and calendar.local_date(served) == calendar.local_date(at)
    if guess.kind == TODAY:
        # never "today" when closed now, served after today's closing, or just before it
        assert same_day
        day_end = calendar.open_intervals(*calendar.day_bounds(calendar.local_date(at)))[-1][1]
        assert calendar.business_seconds(served, day_end) >= today_margin(guess.wait_seconds)
    else:
        assert guess.kind == LATER
        if same_day:  # too close to closing: the citizen hears the next opening
            assert calendar.local_date(guess.shown_at) > calendar.local_date(at)
    # a later place never waits less; another agent online never makes it worse
    behind = estimate(position + 1, queue, staff, calendar, at)
    assert behind.wait_seconds >= guess.wait_seconds and behind.served_at >= served
    helped = estimate(position, queue, [*staff, Staff(capacity=2)], calendar, at)
    assert helped.wait_seconds <= guess.wait_seconds


@settings(max_examples=100)
@given(calendar=calendars, at=instants, seconds=st.integers(0, 40 * 3600))
def test_business_addition_lands_on_an_open_instant(calendar, at, seconds):
    served, stretch = add_business_seconds(calendar, at, seconds)
    assert calendar.is_open(served) and calendar.is_open(stretch) and stretch <= served
    assert calendar.business_seconds(at, served) == seconds
    assert calendar.business_seconds(stretch, served) == int((served - stretch).total_seconds())
