"""Deadlines counted in working days on an office's calendar (SLA templates, issue 17).

A working day is a local date on which the office's weekly hours apply and give it some open
time: weekends, holidays, cuti bersama and closures are not working days (a holiday an operator
cancelled is one again). A working day ends at the office's closing time that day. Counting
starts the working day after the one on which the ticket arrived (a ticket arriving on Friday
afternoon has its first working day on Monday), the usual way a period "sejak diterima" is
counted; so N working days end at the closing time of the N-th working day after arrival.

Pure functions over `OfficeCalendar`; one-off overrides ("close now", "open now") shift open
hours, not which days count, and are left aside here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pandawa.hours.calendar import HORIZON, CalendarError, OfficeCalendar


def closing_of(calendar: OfficeCalendar, day: date) -> datetime | None:
    """When the office closes on the local date `day` (UTC); None when it is not a working day."""
    intervals = calendar.regular_intervals(day)
    return intervals[-1][1] if intervals else None


def working_day_deadline(calendar: OfficeCalendar, received_at: datetime, days: int) -> datetime:
    """The closing time of the `days`-th working day after the local date of `received_at`."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day = calendar.local_date(received_at)
    limit = day + timedelta(days=HORIZON.days + days * 7)
    counted = 0
    while day < limit:
        day += timedelta(days=1)
        closing = closing_of(calendar, day)
        if closing is not None:
            counted += 1
            if counted == days:
                return closing
    raise CalendarError(
        f"fewer than {days} working days in the {HORIZON.days} days after "
        f"{received_at.isoformat()}; check the office's weekly hours and closures"
    )
