"""The calendar on the days citizens notice: boundaries, weekends, Friday prayers, overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pandawa.hours.calendar import CalendarError, OfficeCalendar, Override, build_calendar
from pandawa.hours.formatting import format_local
from tests.hours.conftest import PRAYER_FRIDAY, WIB, WIT, WITA, local, plain_calendar

ZONES = [(WIB, 7), (WITA, 8), (WIT, 9)]


@pytest.mark.parametrize(("zone", "offset"), ZONES)
@pytest.mark.parametrize(
    ("wall", "is_open"),
    [
        ((7, 59, 59), False),
        ((8, 0, 0), True),
        ((14, 59, 59), True),
        ((15, 0, 0), False),
    ],
)
def test_opening_and_closing_boundaries_in_each_zone(zone, offset, wall, is_open):
    calendar = plain_calendar(zone)
    at = local(zone, 2026, 12, 1, *wall)  # a Tuesday

    assert calendar.is_open(at) is is_open
    # the same instant written in UTC: local wall time minus the zone's offset
    assert (
        calendar.is_open(datetime(2026, 12, 1, *wall, tzinfo=UTC) - timedelta(hours=offset))
        is is_open
    )


@pytest.mark.parametrize(("zone", "offset"), ZONES)
def test_saturday_morning_waits_for_monday_0800_local(zone, offset):
    calendar = plain_calendar(zone)

    opening = calendar.next_opening(local(zone, 2026, 11, 28, 10, 0))  # Saturday

    assert opening == datetime(2026, 11, 30, 8, 0, tzinfo=UTC) - timedelta(hours=offset)
    assert opening.tzinfo == UTC


def test_the_next_opening_is_written_as_a_government_service_writes_it():
    opening = plain_calendar(WIB).next_opening(local(WIB, 2026, 11, 28, 10, 0))

    assert format_local(opening, WIB, "id") == "Senin, 30 November 2026 pukul 08.00 WIB"
    assert format_local(opening, WIB, "en") == "Monday, 30 November 2026 at 08:00 WIB"


def test_jayapura_says_wit_and_makassar_wita():
    opening = plain_calendar(WIT).next_opening(local(WIT, 2026, 11, 28, 10, 0))
    assert format_local(opening, WIT, "id") == "Senin, 30 November 2026 pukul 08.00 WIT"
    opening = plain_calendar(WITA).next_opening(local(WITA, 2026, 11, 28, 10, 0))
    assert format_local(opening, WITA, "en") == "Monday, 30 November 2026 at 08:00 WITA"


def test_an_open_office_opens_at_t_itself():
    at = local(WIB, 2026, 12, 1, 10, 0)
    assert plain_calendar(WIB).next_opening(at) == at


def test_friday_prayer_break_is_closed_and_reopens_at_1300():
    calendar = plain_calendar(WITA, PRAYER_FRIDAY)
    noon = local(WITA, 2026, 12, 4, 12, 0)  # Friday

    assert not calendar.is_open(noon)
    assert calendar.next_opening(noon) == local(WITA, 2026, 12, 4, 13, 0)
    assert calendar.next_closing(local(WITA, 2026, 12, 4, 9, 0)) == local(WITA, 2026, 12, 4, 11, 30)
    assert (
        calendar.business_seconds(local(WITA, 2026, 12, 4, 11, 0), local(WITA, 2026, 12, 4, 14, 0))
        == 30 * 60 + 60 * 60
    )


def test_a_friday_1600_ticket_answered_monday_0810_waited_600_business_seconds():
    calendar = plain_calendar(WIB)
    created = local(WIB, 2026, 12, 4, 16, 0)  # Friday, after closing
    answered = local(WIB, 2026, 12, 7, 8, 10)  # Monday

    assert calendar.business_seconds(created, answered) == 600
    # microseconds (a real clock) do not change whole minutes of business time
    assert (
        calendar.business_seconds(
            created + timedelta(microseconds=123), answered + timedelta(microseconds=456)
        )
        == 600
    )
    assert calendar.business_seconds(answered, created) == 0


def test_a_closed_day_moves_the_opening_and_an_open_day_cancels_a_holiday():
    holidays = {date(2026, 6, 1): "Hari Lahir Pancasila"}
    friday_evening = local(WIB, 2026, 5, 29, 16, 0)

    assert plain_calendar(WIB, holidays=holidays).next_opening(friday_evening) == local(
        WIB, 2026, 6, 2, 8, 0
    )
    reopened = plain_calendar(
        WIB, holidays=holidays, closures=[(date(2026, 6, 1), "open", "sidang isbat")]
    )
    assert reopened.next_opening(friday_evening) == local(WIB, 2026, 6, 1, 8, 0)
    assert reopened.closed_days == {}
    assert reopened.open_days == frozenset({date(2026, 6, 1)})


def test_overrides_apply_in_order_the_later_one_wins():
    tuesday = date(2026, 12, 1)
    closed_all_day = Override(
        local(WIB, 2026, 12, 1, 0, 0), local(WIB, 2026, 12, 2, 0, 0), "closed"
    )
    reopened_at_ten = Override(
        local(WIB, 2026, 12, 1, 10, 0), local(WIB, 2026, 12, 1, 15, 0), "open"
    )
    calendar = plain_calendar(WIB, overrides=[closed_all_day, reopened_at_ten])

    assert not calendar.is_open(local(WIB, 2026, 12, 1, 9, 0))
    assert calendar.is_open(local(WIB, 2026, 12, 1, 10, 0))
    assert calendar.next_opening(local(WIB, 2026, 12, 1, 8, 0)) == local(WIB, 2026, 12, 1, 10, 0)
    reversed_order = plain_calendar(WIB, overrides=[reopened_at_ten, closed_all_day])
    assert reversed_order.open_intervals(*reversed_order.day_bounds(tuesday)) == []


def test_an_early_opening_joins_the_regular_hours_into_one_stretch():
    early = Override(local(WIB, 2026, 12, 1, 7, 0), local(WIB, 2026, 12, 1, 15, 0), "open")
    calendar = plain_calendar(WIB, overrides=[early])

    assert calendar.next_closing(local(WIB, 2026, 12, 1, 7, 30)) == local(WIB, 2026, 12, 1, 15, 0)
    assert calendar.last_closing_before(local(WIB, 2026, 12, 1, 7, 30)) == local(
        WIB, 2026, 11, 30, 15, 0
    )


def test_a_stretch_open_for_weeks_closes_where_it_ends():
    fortnight = Override(local(WIB, 2026, 12, 1, 0, 0), local(WIB, 2026, 12, 20, 6, 0), "open")
    calendar = plain_calendar(WIB, overrides=[fortnight])

    assert calendar.next_closing(local(WIB, 2026, 12, 2, 3, 0)) == local(WIB, 2026, 12, 20, 6, 0)
    assert calendar.last_closing_before(local(WIB, 2026, 12, 19, 0, 0)) == local(
        WIB, 2026, 11, 30, 15, 0
    )
    assert calendar.last_closing_before(local(WIB, 2026, 12, 21, 10, 0)) == local(
        WIB, 2026, 12, 20, 6, 0
    )
    # 19 days and 6 hours; Sunday 20 December has no regular hours after 06:00
    assert (
        calendar.business_seconds(local(WIB, 2026, 12, 1, 0, 0), local(WIB, 2026, 12, 21, 0, 0))
        == (19 * 24 + 6) * 3600
    )


def test_a_reopened_day_is_open_even_when_listed_as_closed():
    pancasila = date(2026, 6, 1)
    calendar = OfficeCalendar(
        zone=ZoneInfo(WIB),
        weekly={0: ((time(8), time(15)),)},
        closed_days={pancasila: "Hari Lahir Pancasila"},
        open_days=frozenset({pancasila}),
    )

    assert calendar.is_open(local(WIB, 2026, 6, 1, 8, 0))
    assert calendar.is_working_day(pancasila)


def test_last_closing_before_counts_the_closing_instant_itself():
    calendar = plain_calendar(WIB)
    closing = local(WIB, 2026, 12, 1, 15, 0)

    assert calendar.last_closing_before(closing) == closing
    assert calendar.last_closing_before(closing - timedelta(seconds=1)) == local(
        WIB, 2026, 11, 30, 15, 0
    )
    assert calendar.next_closing(local(WIB, 2026, 12, 1, 16, 0)) is None


def test_an_office_never_open_says_so():
    calendar = plain_calendar(
        WIB,
        weekly={"mon": [["08:00", "15:00"]]},
        overrides=[Override(local(WIB, 2026, 1, 1, 0, 0), local(WIB, 2028, 1, 1, 0, 0), "closed")],
    )

    with pytest.raises(CalendarError, match="not open at any time in the 400 days"):
        calendar.next_opening(local(WIB, 2026, 6, 1, 0, 0))


def test_weekly_hours_from_the_office_json():
    calendar = build_calendar(PRAYER_FRIDAY, WITA, {})

    assert calendar.weekly[4] == ((time(8), time(11, 30)), (time(13), time(15)))
    assert 5 not in calendar.weekly and 6 not in calendar.weekly
    with pytest.raises(ValueError, match="unknown day 'monday'"):
        build_calendar({"monday": [["08:00", "15:00"]]}, WIB, {})
    with pytest.raises(ValueError, match="aware datetimes"):
        calendar.is_open(datetime(2026, 12, 1, 10, 0))
