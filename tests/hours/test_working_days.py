"""Working-day deadlines (SP4N-LAPOR templates, issue 17) over random calendars: random weekly
hours in Indonesia's three zones, random holidays and closures. The deadline is always the
closing time of a working day, exactly N working days after the day of arrival, and it moves
forward with N."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.hours.calendar import build_calendar
from pandawa.hours.working_days import closing_of, working_day_deadline
from tests.hours.conftest import WIB, WIT, WITA
from tests.hours.test_calendar_properties import dates, weekly_hours, whole_seconds

PROFILE = settings(max_examples=150)


@st.composite
def calendars(draw):
    return build_calendar(
        draw(weekly_hours()),
        draw(st.sampled_from([WIB, WITA, WIT])),
        draw(st.dictionaries(dates, st.just("Libur"), max_size=60)),
        draw(
            st.lists(
                st.tuples(dates, st.sampled_from(["closed", "open"]), st.just("Operator")),
                max_size=10,
            )
        ),
    )


def working_days_between(calendar, first: date, last: date) -> int:
    """Working days in (first, last]."""
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += closing_of(calendar, day) is not None
    return count


@PROFILE
@given(calendars(), whole_seconds, st.integers(1, 60))
def test_the_deadline_is_a_working_days_closing(calendar, received_at, days):
    deadline = working_day_deadline(calendar, received_at, days)
    day = calendar.local_date(deadline - timedelta(microseconds=1))
    # never a closed day: the deadline is that working day's closing time
    assert calendar.is_working_day(day)
    assert closing_of(calendar, day) == deadline
    assert calendar.regular_intervals(day)
    # exactly `days` working days after the day of arrival
    assert working_days_between(calendar, calendar.local_date(received_at), day) == days


@PROFILE
@given(calendars(), whole_seconds, st.integers(1, 59))
def test_more_days_is_later(calendar, received_at, days):
    assert working_day_deadline(calendar, received_at, days) < working_day_deadline(
        calendar, received_at, days + 1
    )


def test_a_friday_complaint_over_a_holiday_week():
    # Mon–Fri 08:00–15:00 WIB; Thursday 24 and Friday 25 December 2026 closed (cuti bersama,
    # Natal): 3 working days from Tuesday 22 December are Wednesday 23, Monday 28, Tuesday 29
    weekdays = {d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    holidays = {date(2026, 12, 24): "Cuti bersama", date(2026, 12, 25): "Natal"}
    calendar = build_calendar(weekdays, WIB, holidays)
    received = datetime.fromisoformat("2026-12-22T14:30:00+07:00")
    deadline = working_day_deadline(calendar, received, 3)
    assert deadline == datetime.fromisoformat("2026-12-29T15:00:00+07:00")
