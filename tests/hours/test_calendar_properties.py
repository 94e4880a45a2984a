"""Properties of the office calendar over random instants (2026–2028), Indonesia's three zones,
random weekly hours (1–3 intervals a day, some days empty), closures and overrides."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.hours.calendar import (
    WEEKDAY_KEYS,
    OfficeCalendar,
    Override,
    build_calendar,
    parse_weekly_hours,
)
from tests.hours.conftest import WIB, WIT, WITA

# the suite's profile (tests/conftest.py) has no deadline: a slow machine never fails a calendar
PROFILE = settings(max_examples=150)

START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
END = int(datetime(2028, 12, 31, tzinfo=UTC).timestamp())
FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2028, 12, 31)
ONE_US = timedelta(microseconds=1)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def day_hours(draw) -> list[list[str]]:
    count = draw(st.integers(1, 3))
    points = sorted(
        draw(st.sets(st.integers(0, 23 * 60 + 59), min_size=2 * count, max_size=2 * count))
    )
    return [[_hhmm(points[i]), _hhmm(points[i + 1])] for i in range(0, 2 * count, 2)]


@st.composite
def weekly_hours(draw) -> dict[str, list[list[str]]]:
    open_days = draw(st.sets(st.sampled_from(WEEKDAY_KEYS), min_size=1))
    return {day: draw(day_hours()) for day in open_days}


dates = st.dates(FIRST_DAY, LAST_DAY)
whole_seconds = st.integers(START, END).map(lambda s: datetime.fromtimestamp(s, UTC))
# instants anywhere, microseconds included, in any of the offices' zones
instants = st.builds(
    lambda us, zone: datetime.fromtimestamp(START + us / 1_000_000, UTC).astimezone(ZoneInfo(zone)),
    st.integers(0, (END - START) * 1_000_000),
    st.sampled_from([WIB, WITA, WIT, "UTC"]),
)


@st.composite
def overrides(draw) -> Override:
    start = draw(whole_seconds)
    length = draw(st.integers(60, 3 * 86400))
    return Override(
        start, start + timedelta(seconds=length), draw(st.sampled_from(["open", "closed"]))
    )


@st.composite
def calendars(draw) -> OfficeCalendar:
    weekly = draw(weekly_hours())
    zone = draw(st.sampled_from([WIB, WITA, WIT]))
    holidays = draw(st.dictionaries(dates, st.just("Libur"), max_size=40))
    extra = draw(st.lists(overrides(), max_size=4))
    if draw(st.booleans()):
        closures = draw(
            st.lists(
                st.tuples(dates, st.sampled_from(["closed", "open"]), st.just("Operator")),
                max_size=8,
            )
        )
        return build_calendar(weekly, zone, holidays, closures, extra)
    # built directly: reopened days may also be listed as closed (they stay open)
    reopened = draw(st.sets(st.sampled_from(sorted(holidays)), max_size=10)) if holidays else set()
    return OfficeCalendar(
        zone=ZoneInfo(zone),
        weekly=parse_weekly_hours(weekly),
        closed_days=holidays,
        open_days=frozenset(reopened | draw(st.sets(dates, max_size=3))),
        overrides=tuple(extra),
    )


def oracle_is_open(calendar: OfficeCalendar, at: datetime) -> bool:
    """The rules read literally, one instant at a time."""
    wall = at.astimezone(calendar.zone)
    day = wall.date()
    working = day in calendar.open_days or day not in calendar.closed_days
    result = working and any(
        opens <= wall.time().replace(tzinfo=None) < closes
        for opens, closes in calendar.weekly.get(day.weekday(), ())
    )
    for override in calendar.overrides:  # later ones win
        if override.starts_at <= at < override.ends_at:
            result = override.kind == "open"
    return result


@PROFILE
@given(calendars(), instants)
def test_is_open_follows_the_rules(calendar, at):
    assert calendar.is_open(at) == oracle_is_open(calendar, at)


@PROFILE
@given(calendars(), instants, st.lists(st.floats(0, 1), max_size=12))
def test_next_opening_is_open_not_before_t_and_nothing_opens_in_between(calendar, at, samples):
    opening = calendar.next_opening(at)

    assert opening >= at
    assert opening.tzinfo is not None and opening.utcoffset() == timedelta(0)
    assert calendar.is_open(opening)
    assert oracle_is_open(calendar, opening)
    assert calendar.business_seconds(at, opening) == 0
    assert calendar.open_intervals(at, opening) == []
    if opening > at:
        assert not calendar.is_open(at)
        assert not oracle_is_open(calendar, opening - ONE_US)
    for fraction in samples:
        point = at + (opening - at) * fraction
        if point < opening:
            assert not oracle_is_open(calendar, point), point


@PROFILE
@given(calendars(), whole_seconds, st.integers(0, 20 * 86400), st.integers(0, 20 * 86400))
def test_business_seconds_are_additive_and_never_exceed_calendar_time(calendar, a, ab, bc):
    b = a + timedelta(seconds=ab)
    c = b + timedelta(seconds=bc)

    first, second, whole = (
        calendar.business_seconds(a, b),
        calendar.business_seconds(b, c),
        calendar.business_seconds(a, c),
    )

    assert whole == first + second
    assert 0 <= first <= ab
    assert 0 <= second <= bc
    assert calendar.business_seconds(c, a) == (0 if c > a else whole)
    # the same figure as the open intervals' exact length (instants are whole seconds)
    assert whole == sum((y - x).total_seconds() for x, y in calendar.open_intervals(a, c))


@PROFILE
@given(calendars(), instants, st.integers(0, 10**13), st.integers(0, 10**13))
def test_business_seconds_stay_additive_with_microseconds(calendar, a, ab_us, bc_us):
    b = a + timedelta(microseconds=ab_us)
    c = b + timedelta(microseconds=bc_us)

    assert calendar.business_seconds(a, c) == (
        calendar.business_seconds(a, b) + calendar.business_seconds(b, c)
    )


@PROFILE
@given(calendars(), instants)
def test_next_closing_ends_the_open_stretch(calendar, at):
    closing = calendar.next_closing(at)

    if not calendar.is_open(at):
        assert closing is None
        return
    assert closing > at
    assert not calendar.is_open(closing)
    assert oracle_is_open(calendar, closing - ONE_US)
    # open all the way from at to the closing: one stretch, no gap
    assert calendar.open_intervals(at, closing) == [(at.astimezone(UTC), closing)]


@PROFILE
@given(calendars(), instants)
def test_last_closing_before_is_the_latest_open_to_closed_instant(calendar, at):
    closing = calendar.last_closing_before(at)

    assert closing is not None  # every generated office opens within 400 days
    assert closing <= at
    assert not calendar.is_open(closing)
    assert calendar.is_open(closing - ONE_US)
    # nothing closes after it up to `at`: at most one stretch, still open at `at`
    later = calendar.open_intervals(closing, at)
    assert later == [] or (len(later) == 1 and later[0][1] == at and calendar.is_open(at))


@PROFILE
@given(calendars(), instants, st.integers(1, 10 * 86400))
def test_open_intervals_are_merged_sorted_and_inside_the_window(calendar, at, length):
    end = at + timedelta(seconds=length)
    intervals = calendar.open_intervals(at, end)

    for (_, b), (c, _) in itertools.pairwise(intervals):
        assert b < c  # disjoint and not touching: merged
    for a, b in intervals:
        assert at <= a < b <= end
        assert calendar.is_open(a)
        assert oracle_is_open(calendar, b - ONE_US)
