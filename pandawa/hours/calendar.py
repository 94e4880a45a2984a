"""An office's calendar: when is it open, when does it next open or close, how much open time
lies between two instants.

Pure functions over values: no database, no clock. Every instant in and out is an aware
datetime (answers are UTC); local wall times are made with the office's zone and converted,
so a zone with daylight saving would work too (Indonesia has none).

A local day is open during its weekly intervals unless it is a closed day (holiday, cuti
bersama, closure) that an operator did not reopen (`open_days`). Overrides then force
[starts_at, ends_at) closed or open, in tuple order: a later override wins where they overlap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# how far next_opening/next_closing/last_closing_before look before giving up
HORIZON = timedelta(days=400)
# the window scanned at a time; a week catches the common case (next working day) in one go
_STEP = timedelta(days=8)

Interval = tuple[datetime, datetime]


class CalendarError(ValueError):
    """The calendar cannot answer: e.g. the office is never open within the horizon."""


@dataclass(frozen=True)
class Override:
    """A supervisor's "open now" or "close now": [starts_at, ends_at) forced open or closed."""

    starts_at: datetime
    ends_at: datetime
    kind: str  # "open" or "closed"

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("Override needs aware datetimes")
        if self.kind not in ("open", "closed"):
            raise ValueError(f"Override kind {self.kind!r}: expected 'open' or 'closed'")


@dataclass(frozen=True)
class OfficeCalendar:
    zone: ZoneInfo
    # weekday (0 = Monday) → ascending local intervals; a missing weekday is closed
    weekly: Mapping[int, tuple[tuple[time, time], ...]]
    # local dates closed all day, with the reason or holiday name
    closed_days: Mapping[date, str] = field(default_factory=dict)
    # holidays an operator cancelled: the weekly hours apply on these dates
    open_days: frozenset[date] = frozenset()
    overrides: tuple[Override, ...] = ()

    # -- questions -----------------------------------------------------------------------
    def is_open(self, at: datetime) -> bool:
        _aware(at)
        return bool(self.open_intervals(at, at + timedelta(microseconds=1)))

    def next_opening(self, at: datetime) -> datetime:
        """The earliest instant >= at when the office is open (at itself when open now)."""
        _aware(at)
        start = at.astimezone(UTC)
        limit = start + HORIZON
        while start < limit:
            end = min(start + _STEP, limit)
            intervals = self.open_intervals(start, end)
            if intervals:
                return intervals[0][0]
            start = end
        raise CalendarError(
            f"the office is not open at any time in the {HORIZON.days} days after "
            f"{at.isoformat()}; check its weekly hours, closures and overrides"
        )

    def next_closing(self, at: datetime) -> datetime | None:
        """When the open stretch containing `at` ends; None when the office is closed at `at`."""
        _aware(at)
        start = at.astimezone(UTC)
        if not self.is_open(start):
            return None
        limit = start + HORIZON
        while start < limit:
            end = min(start + _STEP, limit)
            intervals = self.open_intervals(start, end)
            # the stretch goes on only if it reaches the window's end without a gap
            if not intervals or intervals[0][0] != start:
                return start
            if intervals[0][1] < end:
                return intervals[0][1]
            start = end
        raise CalendarError(
            f"the office does not close in the {HORIZON.days} days after {at.isoformat()}"
        )

    def last_closing_before(self, at: datetime) -> datetime | None:
        """The latest instant <= at where an open stretch ended; None if none in the horizon."""
        _aware(at)
        end = at.astimezone(UTC)
        limit = end - HORIZON
        # open across `end`: the stretch that reaches it from the left is clipped, not closing
        clipped = self.is_open(end)
        while end > limit:
            start = max(end - _STEP, limit)
            intervals = self.open_intervals(start, end)
            if intervals and clipped and intervals[-1][1] == end:
                intervals = intervals[:-1]
            if intervals:
                return intervals[-1][1]
            clipped = self.is_open(start)
            end = start
        return None

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Open seconds in [start, end); 0 when end <= start.

        Whole seconds of the UTC timeline are counted (each interval counts the second marks
        it crosses), so the figure is exactly additive: bs(a, c) == bs(a, b) + bs(b, c).
        For instants on whole seconds it is the exact open duration.
        """
        return sum(
            math.floor(b.timestamp()) - math.floor(a.timestamp())
            for a, b in self.open_intervals(start, end)
        )

    def open_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """The open stretches within [start, end), merged, ascending, in UTC."""
        _aware(start)
        _aware(end)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return []
        intervals = _clip(self._regular(start, end), start, end)
        for override in self.overrides:
            a = max(override.starts_at.astimezone(UTC), start)
            b = min(override.ends_at.astimezone(UTC), end)
            if a >= b:
                continue
            if override.kind == "open":
                intervals = _merge([*intervals, (a, b)])
            else:
                intervals = _subtract(intervals, a, b)
        return intervals

    # -- days ----------------------------------------------------------------------------
    def is_working_day(self, day: date) -> bool:
        """Whether the weekly hours apply on the local date `day` (holidays aside)."""
        return day in self.open_days or day not in self.closed_days

    def regular_intervals(self, day: date) -> list[Interval]:
        """The local date's weekly intervals in UTC (none on a closed day), overrides aside."""
        if not self.is_working_day(day):
            return []
        result = []
        for opens, closes in self.weekly.get(day.weekday(), ()):
            a = datetime.combine(day, opens, self.zone).astimezone(UTC)
            b = datetime.combine(day, closes, self.zone).astimezone(UTC)
            if a < b:
                result.append((a, b))
        return result

    def day_bounds(self, day: date) -> Interval:
        """[local midnight, next local midnight) of `day`, in UTC."""
        return (
            datetime.combine(day, time(), self.zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time(), self.zone).astimezone(UTC),
        )

    def local_date(self, at: datetime) -> date:
        _aware(at)
        return at.astimezone(self.zone).date()

    def _regular(self, start: datetime, end: datetime) -> list[Interval]:
        # a day's intervals lie within its local date; one day of margin covers odd offsets
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date() + timedelta(days=1)
        intervals: list[Interval] = []
        day = first
        while day <= last:
            intervals.extend(self.regular_intervals(day))
            day += timedelta(days=1)
        return _merge(intervals)


def build_calendar(
    weekly_hours_json: Mapping[str, Iterable[Iterable[str]]] | None,
    zone_name: str,
    holiday_map: Mapping[date, str],
    closures: Iterable[tuple[date, str, str]] = (),
    overrides: Iterable[Override] = (),
) -> OfficeCalendar:
    """An OfficeCalendar from stored values.

    `weekly_hours_json` is `Office.weekly_hours` ({"mon": [["08:00", "15:00"]], ...}; missing
    days are closed); `holiday_map` {date: name}; `closures` (date, "closed"|"open", reason),
    where "open" cancels a holiday (or any closure) on that date; later entries win.
    """
    closed = dict(holiday_map)
    reopened: set[date] = set()
    for day, kind, reason in closures:
        if kind == "closed":
            closed[day] = reason
            reopened.discard(day)
        elif kind == "open":
            closed.pop(day, None)
            reopened.add(day)
        else:
            raise ValueError(f"closure kind {kind!r}: expected 'closed' or 'open'")
    return OfficeCalendar(
        zone=ZoneInfo(zone_name),
        weekly=parse_weekly_hours(weekly_hours_json or {}),
        closed_days=closed,
        open_days=frozenset(reopened),
        overrides=tuple(overrides),
    )


def parse_weekly_hours(
    document: Mapping[str, Iterable[Iterable[str]]],
) -> dict[int, tuple[tuple[time, time], ...]]:
    """{"mon": [["08:00", "15:00"]]} → {0: ((time(8), time(15)),)}, ascending per day."""
    weekly: dict[int, tuple[tuple[time, time], ...]] = {}
    for key, intervals in document.items():
        if key not in WEEKDAY_KEYS:
            raise ValueError(f"weekly hours: unknown day {key!r}; expected one of {WEEKDAY_KEYS}")
        pairs = []
        for pair in intervals:
            opens, closes = (time.fromisoformat(part) for part in pair)
            if opens >= closes:
                raise ValueError(f"weekly hours {key}: {opens}–{closes} ends before it starts")
            pairs.append((opens, closes))
        weekly[WEEKDAY_KEYS.index(key)] = tuple(sorted(pairs))
    return weekly


# -- interval arithmetic on sorted, disjoint [a, b) lists ---------------------------------
def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _clip(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(a, start), min(b, end)) for a, b in intervals if a < end and b > start]


def _subtract(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    result: list[Interval] = []
    for a, b in intervals:
        if b <= start or a >= end:
            result.append((a, b))
            continue
        if a < start:
            result.append((a, start))
        if b > end:
            result.append((end, b))
    return result


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the calendar needs aware datetimes (UTC inside)")
