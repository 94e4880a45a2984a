"""Hours tests: calendars built from plain values, and the hours API and commands wired in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pandawa.hours.calendar import OfficeCalendar, build_calendar

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
WEEKDAYS_8_15 = {day: [["08:00", "15:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PRAYER_FRIDAY = {**WEEKDAYS_8_15, "fri": [["08:00", "11:30"], ["13:00", "15:00"]]}


def local(zone: str, *parts: int) -> datetime:
    """An aware instant from office-local wall time: local(WIB, 2026, 11, 30, 8, 0)."""
    return datetime(*parts, tzinfo=ZoneInfo(zone))


def plain_calendar(zone: str = WIB, weekly=None, holidays=None, **kw) -> OfficeCalendar:
    return build_calendar(weekly or WEEKDAYS_8_15, zone, holidays or {}, **kw)
