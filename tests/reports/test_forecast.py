"""The staffing forecast (pandawa.reports.forecast): arrivals as the mean of the same weekday's
hour over the last weeks (open days only), the deferred backlog landing in the first open hour,
Erlang C agents per open hour, stored once per office and day by the beat task."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from celery.schedules import crontab
from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.core.celery_app import BEAT_SCHEDULE
from pandawa.core.clock import now
from pandawa.hours.calendar import build_calendar
from pandawa.hours.queries import calendar_for, calendars_for_offices, holiday_map
from pandawa.reports.erlang import agents_needed
from pandawa.reports.forecast import (
    HOURS,
    forecast_arrivals,
    forecast_day,
    make_due_forecasts,
    mean_handle_seconds,
    open_fractions,
    plan_queue,
)
from pandawa.reports.models import StaffingForecast
from pandawa.reports.tasks import forecast_staffing
from pandawa.tickets.models import Ticket

WIB = ZoneInfo("Asia/Jakarta")
WEEKDAYS = {d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
CALENDAR = build_calendar(WEEKDAYS, "Asia/Jakarta", holiday_map("ID", ("public",), [2026]))


def wib(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


def hours(**counts: float) -> list[float]:
    row = [0.0] * HOURS
    for key, value in counts.items():
        row[int(key.removeprefix("h"))] = value
    return row


def is_open_day(day: date) -> bool:
    return day.weekday() < 5 and day != date(2026, 12, 25)


def test_the_mean_of_the_same_weekday_over_open_days():
    tuesday = date(2026, 12, 1)
    history = {
        date(2026, 11, 24): hours(h9=4, h10=1),
        date(2026, 11, 17): hours(h9=2),
        date(2026, 11, 23): hours(h9=100),  # a Monday: not the same weekday
    }
    # four Tuesdays, none with arrivals on two of them: (4 + 2 + 0 + 0) / 4
    forecast = forecast_arrivals(history, tuesday, 4, is_open_day)
    assert forecast[9] == 1.5 and forecast[10] == 0.25 and sum(forecast) == 1.75


def test_a_holiday_in_the_window_is_not_an_ordinary_day():
    # Fri 25 Dec (Christmas) is left out of the Fridays before Fri 1 Jan
    history = {date(2026, 12, 25): hours(h9=0), date(2026, 12, 18): hours(h9=6)}
    assert forecast_arrivals(history, date(2027, 1, 1), 2, is_open_day)[9] == 6


def test_a_closed_day_is_forecast_from_closed_days():
    # Christmas (a Friday) from the window's closed days: the two weekends, not the weekdays
    history = {
        date(2026, 12, 12): hours(h9=2),  # Saturday
        date(2026, 12, 20): hours(h9=4),  # Sunday
        date(2026, 12, 18): hours(h9=60),  # an open Friday
    }
    forecast = forecast_arrivals(history, date(2026, 12, 25), 2, is_open_day)
    assert forecast[9] == (2 + 4) / 4  # Sat 12, Sun 13, Sat 19, Sun 20
    # a Saturday from the Saturdays
    assert forecast_arrivals(history, date(2026, 12, 26), 2, is_open_day)[9] == 1.0


def test_without_a_same_weekday_it_falls_back_to_every_open_day():
    # an office that opened on Tuesday 1 December for the first time (an extra opening)
    never_tuesday = lambda d: is_open_day(d) and (d.weekday() != 1 or d == date(2026, 12, 1))  # noqa: E731
    history = {date(2026, 11, 30): hours(h9=5)}
    forecast = forecast_arrivals(history, date(2026, 12, 1), 1, never_tuesday)
    assert forecast[9] == 1.25  # 5 over the window's four open days (Wed, Thu, Fri, Mon)


def test_the_backlog_and_the_night_land_in_the_first_open_hour():
    fractions = open_fractions(CALENDAR, date(2026, 12, 1))
    assert fractions[7] == 0 and fractions[8] == 1 and fractions[14] == 1 and fractions[15] == 0
    arrivals = hours(h5=2, h6=3, h8=10, h9=12, h16=4)
    plan = plan_queue(
        1, arrivals, fractions, backlog=7, from_hour=5, handle_seconds=600, sla_seconds=1800,
        capacity=2,
    )  # fmt: skip
    assert plan.offered[8] == 10 + 7 + 2 + 3 and plan.offered[9] == 12
    assert plan.agents[7] is None and plan.agents[16] is None  # closed
    assert plan.agents[8] == agents_needed(22, 600, 1800, 2)
    assert plan.agents[10] == 0  # open, nobody expected
    # made after 06:00: the 05:00 arrivals are already in the backlog, not counted twice
    later = plan_queue(
        1, arrivals, fractions, backlog=7, from_hour=6, handle_seconds=600, sla_seconds=1800,
        capacity=2,
    )  # fmt: skip
    assert later.offered[8] == 10 + 7 + 3


@settings(max_examples=60)
@given(
    arrivals=st.lists(st.floats(0, 50), min_size=HOURS, max_size=HOURS),
    backlog=st.integers(0, 100),
    from_hour=st.integers(0, 23),
)
def test_the_plan_conserves_citizens_and_staffs_only_open_hours(arrivals, backlog, from_hour):
    fractions = open_fractions(CALENDAR, date(2026, 12, 1))
    plan = plan_queue(
        1, arrivals, fractions, backlog=backlog, from_hour=from_hour, handle_seconds=900,
        sla_seconds=1800, capacity=3,
    )  # fmt: skip
    last_open = max(h for h in range(HOURS) if fractions[h] > 0)
    counted = [
        a for h, a in enumerate(arrivals) if h <= last_open and (h >= from_hour or fractions[h])
    ]
    expected = sum(counted) + (backlog if from_hour <= last_open else 0)
    assert sum(plan.offered) == pytest.approx(expected)
    for hour in range(HOURS):
        assert (plan.agents[hour] is None) == (fractions[hour] == 0)
        if plan.agents[hour] is not None:
            assert plan.agents[hour] >= 0


# -- from the database ----------------------------------------------------------------------
@pytest.fixture
def history(session, clock, make_office, make_queue, make_ticket, make_conversation):
    """Tickets on the Tuesdays before Tue 1 Dec 2026 (clock 10:00 WIB) and a deferred one."""
    office, queue, other = make_office(), make_queue(), make_queue()

    def arrive(when: datetime, q=queue, status="resolved"):
        ticket = make_ticket(queue=q, conversation=make_conversation(office=office))
        ticket.created_at = ticket.released_at = ticket.updated_at = when
        ticket.status = status
        if status == "deferred":
            ticket.released_at = None
        return ticket

    for minute in (1, 10, 20, 30):
        arrive(datetime(2026, 11, 24, 9, minute, tzinfo=WIB))
    for minute in (5, 50):
        arrive(datetime(2026, 11, 17, 9, minute, tzinfo=WIB))
    arrive(datetime(2026, 11, 10, 10, 15, tzinfo=WIB), other)
    arrive(datetime(2026, 11, 30, 9, 0, tzinfo=WIB))  # a Monday: not counted for Tuesday
    arrive(datetime(2026, 11, 3, 7, 30, tzinfo=WIB))  # before opening, a Tuesday
    arrive(datetime(2026, 12, 1, 6, 0, tzinfo=WIB), status="deferred")
    session.flush()
    return office, queue, other


def test_forecast_day_from_the_ticket_table(session, history):
    office, queue, other = history
    calendar = calendar_for(session, office)
    tomorrow = forecast_day(session, office, calendar, date(2026, 12, 2), now(), weeks=6)
    today = forecast_day(session, office, calendar, date(2026, 12, 1), now(), weeks=6)

    plans = {p.queue_id: p for p in today.queues}
    assert plans[queue.id].arrivals[9] == pytest.approx(6 / 6)
    assert plans[queue.id].arrivals[7] == pytest.approx(1 / 6)
    assert plans[other.id].arrivals[10] == pytest.approx(1 / 6)
    assert plans[queue.id].backlog == 1  # the deferred ticket
    assert plans[queue.id].agents[9] is not None and plans[queue.id].agents[16] is None
    assert plans[queue.id].sla_seconds == queue.sla_seconds
    # Wednesdays had no arrivals: nothing to staff tomorrow
    assert tomorrow.queues == [] or all(sum(p.arrivals) == 0 for p in tomorrow.queues)


def test_the_beat_task_stores_each_office_day_once(session, clock, history):
    office, queue, _ = history
    clock.set(datetime(2026, 12, 1, 3, 30, tzinfo=WIB))  # before 04:00 office time: not yet
    assert make_due_forecasts(session, calendars_for_offices(session), now(), 6) == 0
    clock.set(datetime(2026, 12, 1, 4, 7, tzinfo=WIB))
    assert forecast_staffing() >= 1
    assert forecast_staffing() == 0  # idempotent: a second run (or a second beat) stores none
    row = session.scalar(sa.select(StaffingForecast).where(StaffingForecast.office_id == office.id))
    assert row.day == date(2026, 12, 1) and row.made_at == now() and row.weeks == 6
    plan = next(p for p in row.payload["queues"] if p["queue_id"] == queue.id)
    assert plan["arrivals"][9] == pytest.approx(1.0) and plan["backlog"] == 1
    # the forecast made at 04:07 carries the 07:00 arrivals and the backlog into 08:00
    assert plan["offered"][8] == pytest.approx(1 + 1 / 6, abs=1e-3)  # stored to 3 places
    clock.set(datetime(2026, 12, 2, 5, 0, tzinfo=WIB))
    assert forecast_staffing() >= 1  # the next day gets its own
    days = session.scalars(
        sa.select(StaffingForecast.day).where(StaffingForecast.office_id == office.id)
    ).all()
    assert sorted(days) == [date(2026, 12, 1), date(2026, 12, 2)]


def test_history_before_the_window_is_ignored(session, history):
    office, queue, _ = history
    calendar = calendar_for(session, office)
    # two weeks: only 24 Nov (4 at 09:00) and 17 Nov (2)
    plan = next(
        p
        for p in forecast_day(session, office, calendar, date(2026, 12, 1), now(), 2).queues
        if p.queue_id == queue.id
    )
    assert plan.arrivals[9] == pytest.approx(3.0) and plan.arrivals[7] == 0


def test_the_task_is_scheduled_hourly():
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "dashboard.forecast_staffing")
    assert entry["schedule"] == crontab(minute=7)


def test_the_handle_time_is_the_recent_mean_per_queue(session, history):
    office, queue, other = history
    calendar = calendar_for(session, office)

    def handled(q, created: datetime, first: datetime, resolved: datetime) -> None:
        ticket = session.scalars(
            sa.select(Ticket).where(
                Ticket.queue_id == q.id,
                Ticket.status == "resolved",
                Ticket.first_response_at.is_(None),
            )
        ).first()
        ticket.created_at, ticket.first_response_at, ticket.resolved_at = created, first, resolved
        session.flush()

    handled(queue, wib(11, 24, 9), wib(11, 24, 9, 5), wib(11, 24, 9, 15))  # 600 s
    handled(queue, wib(11, 24, 9), wib(11, 24, 14, 50), wib(11, 25, 8, 20))  # 10 + 20 min: 1800 s
    handled(other, wib(11, 10, 10), wib(11, 10, 10, 30), wib(11, 10, 11, 30))  # 3600 s
    session.flush()
    since = datetime(2026, 11, 17, tzinfo=WIB)
    assert mean_handle_seconds(session, office.id, since, calendar) == {queue.id: 1200}
    earlier = datetime(2026, 11, 1, tzinfo=WIB)
    assert mean_handle_seconds(session, office.id, earlier, calendar) == {
        queue.id: 1200,
        other.id: 3600,
    }
