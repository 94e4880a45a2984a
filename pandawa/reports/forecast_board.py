"""The staffing forecast beside what happened, as a user may see it: per visible office
(`visible_offices_clause`) and over the visible queues (`visible_queues_clause`), hour by hour
of the office's local day — arrivals forecast, arrivals so far, agents recommended.

Yesterday and today read the forecast stored when it was made (reports/forecast.py); tomorrow
is forecast now from the same history. Queries: the visible offices, the visible queues, the
stored forecasts (one query), and per office one grouped count of its arrivals
(`ix_ticket_office_created`) — no N+1 over queues or hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.hours.calendar import OfficeCalendar
from pandawa.hours.formatting import format_clock, format_date, format_local
from pandawa.hours.models import Office
from pandawa.hours.queries import calendars_for_offices
from pandawa.reports.forecast import (
    DEFAULT_WEEKS,
    HOURS,
    arrivals_by_day_hour,
    day_bounds,
    forecast_day,
    open_fractions,
)
from pandawa.reports.models import StaffingForecast
from pandawa.tickets.models import Queue
from pandawa.tickets.queries import visible_offices_clause, visible_queues_clause

DAYS = ("yesterday", "today", "tomorrow")


@dataclass
class HourCell:
    hour: int
    label: str  # "08.00" / "08:00"
    is_open: bool
    forecast: float | None  # arrivals forecast (None: no forecast stored)
    actual: int | None  # arrivals that happened (None: the hour has not begun)
    agents: int | None  # agents recommended (None: closed, or no forecast)


@dataclass
class OfficeDay:
    office_code: str
    office_name: str
    timezone: str
    day: date
    day_text: str
    which: str  # yesterday | today | tomorrow
    has_forecast: bool
    made_at_text: str | None
    hours: list[HourCell] = field(default_factory=list)
    forecast_total: float = 0.0  # over the hours that have begun (all, for tomorrow)
    actual_total: int = 0
    mae: float | None = None  # mean absolute error per hour over the hours that have ended
    peak_agents: int | None = None


def office_days(
    session: Session,
    user: User,
    which: Iterable[str],
    at: datetime,
    language: str = "id",
    weeks: int = DEFAULT_WEEKS,
) -> list[OfficeDay]:
    """Forecast vs actual for each visible office and each of `which` (yesterday, today,
    tomorrow), the office's local days."""
    offices = list(
        session.scalars(
            sa.select(Office)
            .where(Office.is_active.is_(True), visible_offices_clause(user))
            .order_by(Office.code)
        )
    )
    if not offices:
        return []
    queue_ids = set(session.scalars(sa.select(Queue.id).where(visible_queues_clause(user))))
    calendars = calendars_for_offices(session)
    wanted = [w for w in DAYS if w in set(which)]
    days = {
        office.id: {w: _local_day(at, office.timezone, w) for w in wanted} for office in offices
    }
    stored = {
        (row.office_id, row.day): row
        for row in session.scalars(
            sa.select(StaffingForecast).where(
                StaffingForecast.office_id.in_([o.id for o in offices]),
                StaffingForecast.day.in_({d for per in days.values() for d in per.values()}),
            )
        )
    }
    result = []
    for office in offices:
        calendar = calendars.get(office.id)
        if calendar is None:
            continue
        first = min(days[office.id].values())
        last = max(days[office.id].values())
        actual = arrivals_by_day_hour(
            session, office, first, last + timedelta(days=1), at, queue_ids
        )
        for w in wanted:
            day = days[office.id][w]
            if w == "tomorrow":
                payload = forecast_day(session, office, calendar, day, at, weeks).as_json()
                made_at = None
            else:
                row = stored.get((office.id, day))
                payload = row.payload if row is not None else None
                made_at = row.made_at if row is not None else None
            result.append(
                _office_day(office, calendar, day, w, payload, made_at, actual, queue_ids, at,
                            language)
            )  # fmt: skip
    return result


def _local_day(at: datetime, zone: str, which: str) -> date:
    today = at.astimezone(ZoneInfo(zone)).date()
    return today + timedelta(days={"yesterday": -1, "today": 0, "tomorrow": 1}[which])


def _office_day(
    office: Office,
    calendar: OfficeCalendar,
    day: date,
    which: str,
    payload: dict | None,
    made_at: datetime | None,
    actual: dict[int, dict[date, list[float]]],
    queue_ids: set[int],
    at: datetime,
    language: str,
) -> OfficeDay:
    forecast = [0.0] * HOURS
    agents: list[int | None] = [None] * HOURS
    for plan in (payload or {}).get("queues", []):
        if plan["queue_id"] not in queue_ids:
            continue
        for hour in range(HOURS):
            forecast[hour] += plan["arrivals"][hour]
            if plan["agents"][hour] is not None:
                agents[hour] = (agents[hour] or 0) + plan["agents"][hour]
    happened = [0] * HOURS
    for per_day in actual.values():
        for hour, count in enumerate(per_day.get(day, [0.0] * HOURS)):
            happened[hour] += int(count)
    start = day_bounds(office.timezone, day)[0]
    fractions = open_fractions(calendar, day)
    has_forecast = payload is not None
    cells, errors = [], []
    forecast_total, actual_total = 0.0, 0
    for hour in range(HOURS):
        begun = start + timedelta(hours=hour) <= at
        ended = start + timedelta(hours=hour + 1) <= at
        if begun or which == "tomorrow":
            forecast_total += forecast[hour]
        if begun:
            actual_total += happened[hour]
        if ended and has_forecast:
            errors.append(abs(forecast[hour] - happened[hour]))
        is_open = fractions[hour] > 0
        if not (is_open or forecast[hour] >= 0.05 or (begun and happened[hour])):
            continue
        cells.append(
            HourCell(
                hour=hour,
                label=format_clock(hour, 0, language),
                is_open=is_open,
                forecast=forecast[hour] if has_forecast else None,
                actual=happened[hour] if begun else None,
                agents=agents[hour] if has_forecast else None,
            )
        )
    peak = max((a for a in agents if a is not None), default=None) if has_forecast else None
    return OfficeDay(
        office_code=office.code,
        office_name=office.name,
        timezone=office.timezone,
        day=day,
        day_text=format_date(day, language),
        which=which,
        has_forecast=has_forecast,
        made_at_text=format_local(made_at, office.timezone, language) if made_at else None,
        hours=cells,
        forecast_total=forecast_total,
        actual_total=actual_total,
        mae=sum(errors) / len(errors) if errors else None,
        peak_agents=peak,
    )
