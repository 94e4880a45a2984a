"""Staffing forecast: tomorrow's (and today's) arrivals per office hour, and the agents each
queue needs to meet its first-response target.

How (per office, per queue, per local hour of the day):

1. Arrivals: the mean of the same hour over the same weekday of the last `FORECAST_WEEKS`
   weeks (tickets created, office local time), counting only days open like the day forecast
   (a holiday Tuesday says nothing about an ordinary Tuesday, and a holiday is forecast from
   the closed days); with no such weekday in the window, the mean over every day of the window
   open like it; with none, nothing.
2. Backlog at opening: the tickets deferred now, plus the arrivals forecast for the closed
   hours before the opening, all land in the first open hour (beat releases them at opening).
3. Agents: Erlang C (reports/erlang.py) with the queue's recent mean handle time (first
   response → resolution, office hours) gives the places needed so that `SLA_GOAL` of the
   hour's citizens are answered within the queue's `sla_seconds`; places / the members'
   typical capacity (User.capacity, tickets at once) = agents.

Each office's forecast for its local day is stored once, early in the morning office time
(`dashboard.forecast_staffing`, idempotent: one row per office and day), so the board can put
it beside what happened — today so far and yesterday — hour by hour.

Arrivals are read straight from the ticket table (not from reports/figures.py's definitions):
tickets created in the office in [from, to), grouped by queue and local hour, on the index
`ix_ticket_office_created` (office_id, created_at, queue_id).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.core.clock import as_utc
from pandawa.hours.calendar import OfficeCalendar
from pandawa.hours.models import Office
from pandawa.reports.erlang import agents_needed
from pandawa.reports.models import StaffingForecast
from pandawa.reports.scope import LocalTime
from pandawa.tickets.models import Queue, Ticket, queue_member

HOURS = 24
SLA_GOAL = 0.8  # share of citizens to answer within the queue's target
DEFAULT_WEEKS = 6
# the beat task makes an office's forecast for its day from this local hour on
FORECAST_LOCAL_HOUR = 4
# resolved tickets averaged for the handle time (the newest of the window)
HANDLE_SAMPLE = 500
DEFAULT_HANDLE_SECONDS = 10 * 60

Counts = list[float]  # one value per local hour, 0..23


# -- pure parts ------------------------------------------------------------------------------
def history_days(day: date, weeks: int) -> list[date]:
    """The same weekday in each of the `weeks` weeks before `day`, newest first."""
    return [day - timedelta(days=7 * k) for k in range(1, weeks + 1)]


def forecast_arrivals(
    history: Mapping[date, Sequence[float]],
    day: date,
    weeks: int,
    is_open_day: Callable[[date], bool],
) -> Counts:
    """Mean arrivals per local hour over the window's same weekdays that were open like `day`
    (an ordinary Tuesday from open Tuesdays; a holiday or a Saturday from closed ones); without
    such a weekday, over every day of the window open like `day`. Days absent from `history`
    count as days without arrivals."""
    is_open = is_open_day(day)
    same = [d for d in history_days(day, weeks) if is_open_day(d) == is_open]
    if not same:
        window = [day - timedelta(days=n) for n in range(1, 7 * weeks + 1)]
        same = [d for d in window if is_open_day(d) == is_open]
    if not same:
        return [0.0] * HOURS
    zero = [0.0] * HOURS
    return [sum(history.get(d, zero)[h] for d in same) / len(same) for h in range(HOURS)]


def open_fractions(calendar: OfficeCalendar, day: date) -> list[float]:
    """Share of each local hour of `day` the office is open (overrides and closures obeyed)."""
    zone = calendar.zone
    result = []
    for hour in range(HOURS):
        start = datetime.combine(day, time(hour), zone)
        end = start + timedelta(hours=1)
        seconds = sum((b - a).total_seconds() for a, b in calendar.open_intervals(start, end))
        result.append(seconds / 3600.0)
    return result


@dataclass
class QueuePlan:
    """One queue's day: arrivals forecast, load offered each open hour (backlog included) and
    the agents recommended (None: the office is closed that hour)."""

    queue_id: int
    arrivals: Counts
    offered: Counts
    agents: list[int | None]
    backlog: int
    handle_seconds: int
    sla_seconds: int
    capacity: int

    def as_json(self) -> dict:
        return {
            "queue_id": self.queue_id,
            "arrivals": [round(x, 3) for x in self.arrivals],
            "offered": [round(x, 3) for x in self.offered],
            "agents": self.agents,
            "backlog": self.backlog,
            "handle_seconds": self.handle_seconds,
            "sla_seconds": self.sla_seconds,
            "capacity": self.capacity,
        }


def plan_queue(
    queue_id: int,
    arrivals: Counts,
    fractions: Sequence[float],
    *,
    backlog: int,
    from_hour: int,
    handle_seconds: int,
    sla_seconds: int,
    capacity: int,
    goal: float = SLA_GOAL,
) -> QueuePlan:
    """Carry the backlog and the closed hours' arrivals (from `from_hour` on: earlier ones are
    already in the backlog) into the next open hour; Erlang C per open hour."""
    carried = float(backlog)
    offered: Counts = [0.0] * HOURS
    agents: list[int | None] = [None] * HOURS
    for hour in range(HOURS):
        ahead = hour >= from_hour  # hours before it have happened: nothing carried through them
        if fractions[hour] <= 0:
            carried += arrivals[hour] if ahead else 0.0
            continue
        offered[hour] = arrivals[hour] + (carried if ahead else 0.0)
        if ahead:
            carried = 0.0
        # a part-open hour (opening at 07:30) gets its citizens in the open part
        rate = offered[hour] / fractions[hour]
        agents[hour] = agents_needed(rate, handle_seconds, sla_seconds, capacity, goal)
    return QueuePlan(
        queue_id, list(arrivals), offered, agents, backlog, handle_seconds, sla_seconds, capacity
    )


def mean_absolute_error(forecast: Sequence[float], actual: Sequence[float]) -> float:
    pairs = list(zip(forecast, actual, strict=True))
    return sum(abs(f - a) for f, a in pairs) / len(pairs) if pairs else 0.0


# -- reads -----------------------------------------------------------------------------------
def day_bounds(zone: str, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    return datetime.combine(day, time(), tz), datetime.combine(day + timedelta(days=1), time(), tz)


def arrivals_by_day_hour(
    session: Session,
    office: Office,
    start: date,
    end: date,
    until: datetime | None = None,
    queue_ids: Iterable[int] | None = None,
) -> dict[int, dict[date, list[float]]]:
    """{queue_id: {local date: [count per local hour]}} of tickets created in the office from
    local `start` to local `end` (exclusive), and before `until` when given. One query."""
    local = LocalTime(session)
    day = local.day(Ticket.created_at, office.timezone)
    hour = local.hour(Ticket.created_at, office.timezone)
    lower = day_bounds(office.timezone, start)[0]
    upper = day_bounds(office.timezone, end)[0]
    if until is not None:
        upper = min(upper, until)
    stmt = (
        sa.select(Ticket.queue_id, day, hour, sa.func.count())
        .where(
            Ticket.office_id == office.id,
            Ticket.created_at >= lower,
            Ticket.created_at < upper,
        )
        .group_by(Ticket.queue_id, day, hour)
    )
    if queue_ids is not None:
        stmt = stmt.where(Ticket.queue_id.in_(list(queue_ids)))
    result: dict[int, dict[date, list[float]]] = defaultdict(dict)
    for queue_id, local_day, local_hour, count in session.execute(stmt):
        key = local_day if isinstance(local_day, date) else date.fromisoformat(str(local_day))
        result[queue_id].setdefault(key, [0.0] * HOURS)[int(local_hour)] += count
    return result


def deferred_backlog(session: Session, office_id: int) -> dict[int, int]:
    """Deferred tickets of the office now, by queue (the partial release index finds them)."""
    rows = session.execute(
        sa.select(Ticket.queue_id, sa.func.count())
        .where(Ticket.office_id == office_id, Ticket.status == "deferred")
        .group_by(Ticket.queue_id)
    )
    return {queue_id: count for queue_id, count in rows}


def mean_handle_seconds(
    session: Session, office_id: int, since: datetime, calendar: OfficeCalendar
) -> dict[int, int]:
    """Mean office-hour seconds from first response to resolution per queue, by queue id: the
    newest `HANDLE_SAMPLE` resolved tickets of each queue created in the office since `since`
    (one query; the office's created range walks `ix_ticket_office_created`)."""
    newest = (
        sa.func.row_number()
        .over(partition_by=Ticket.queue_id, order_by=Ticket.resolved_at.desc())
        .label("n")
    )
    ranked = (
        sa.select(Ticket.queue_id, Ticket.first_response_at, Ticket.resolved_at, newest)
        .where(
            Ticket.office_id == office_id,
            Ticket.created_at >= since,
            Ticket.status == "resolved",
            Ticket.first_response_at.is_not(None),
        )
        .subquery()
    )
    rows = session.execute(
        sa.select(ranked.c.queue_id, ranked.c.first_response_at, ranked.c.resolved_at).where(
            ranked.c.n <= HANDLE_SAMPLE
        )
    )
    spans: dict[int, list[int]] = defaultdict(list)
    for queue_id, first, resolved in rows:
        seconds = calendar.business_seconds(as_utc(first), as_utc(resolved))
        if seconds > 0:
            spans[queue_id].append(seconds)
    return {queue_id: int(statistics.fmean(values)) for queue_id, values in spans.items()}


def typical_capacity(session: Session) -> dict[int, int]:
    """Median capacity (tickets at once) of each queue's active members, by queue id."""
    rows = session.execute(
        sa.select(queue_member.c.queue_id, User.capacity)
        .join(User, User.id == queue_member.c.user_id)
        .where(User.is_active.is_(True))
    )
    by_queue: dict[int, list[int]] = defaultdict(list)
    for queue_id, capacity in rows:
        by_queue[queue_id].append(max(1, capacity))
    return {q: int(statistics.median_low(c)) for q, c in by_queue.items()}


@dataclass
class DayForecast:
    office_id: int
    day: date
    made_at: datetime
    weeks: int
    queues: list[QueuePlan] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"queues": [q.as_json() for q in self.queues]}


def forecast_day(
    session: Session,
    office: Office,
    calendar: OfficeCalendar,
    day: date,
    at: datetime,
    weeks: int = DEFAULT_WEEKS,
) -> DayForecast:
    """The office's forecast for its local `day`, as known at `at` (today or a later day)."""
    zone = ZoneInfo(office.timezone)
    history = arrivals_by_day_hour(session, office, day - timedelta(days=7 * weeks), day, at)
    local_now = at.astimezone(zone)
    today = local_now.date()

    def is_open_day(d: date) -> bool:
        start, end = day_bounds(office.timezone, d)
        return bool(calendar.open_intervals(start, end))

    fractions = open_fractions(calendar, day)
    deferred = deferred_backlog(session, office.id)
    queues = {q.id: q for q in session.scalars(sa.select(Queue).where(Queue.is_active.is_(True)))}
    capacities = typical_capacity(session)
    handles = mean_handle_seconds(session, office.id, at - timedelta(days=7 * weeks), calendar)
    result = DayForecast(office.id, day, at, weeks)
    for queue_id in sorted(set(history) | set(deferred)):
        queue = queues.get(queue_id)
        if queue is None:
            continue
        arrivals = forecast_arrivals(history.get(queue_id, {}), day, weeks, is_open_day)
        if day == today:
            backlog, from_hour = deferred.get(queue_id, 0), local_now.hour
        else:
            # a later day: what is deferred now unless the office opens again before it, and
            # the arrivals forecast for tonight, after today's last open hour
            reopens_today = bool(calendar.open_intervals(at, day_bounds(office.timezone, day)[0]))
            backlog = 0 if reopens_today else deferred.get(queue_id, 0)
            if day == today + timedelta(days=1):
                tonight = forecast_arrivals(history.get(queue_id, {}), today, weeks, is_open_day)
                shut = open_fractions(calendar, today)
                last_open = max((h for h in range(HOURS) if shut[h] > 0), default=-1)
                backlog += round(sum(tonight[max(local_now.hour + 1, last_open + 1) :]))
            from_hour = 0
        handle = handles.get(queue_id, DEFAULT_HANDLE_SECONDS)
        plan = plan_queue(
            queue_id,
            arrivals,
            fractions,
            backlog=backlog,
            from_hour=from_hour,
            handle_seconds=handle,
            sla_seconds=queue.sla_seconds,
            capacity=capacities.get(queue_id, 1),
        )
        if sum(plan.arrivals) > 0 or plan.backlog:
            result.queues.append(plan)
    return result


# -- writes ----------------------------------------------------------------------------------
def stored(session: Session, office_id: int, day: date) -> StaffingForecast | None:
    return session.scalar(
        sa.select(StaffingForecast).where(
            StaffingForecast.office_id == office_id, StaffingForecast.day == day
        )
    )


def store_forecast(session: Session, forecast: DayForecast) -> bool:
    """Store the day's forecast once; False when one is already stored (a second beat, a
    repeated run). Flushes inside a savepoint, never commits."""
    if stored(session, forecast.office_id, forecast.day) is not None:
        return False
    row = StaffingForecast(
        office_id=forecast.office_id,
        day=forecast.day,
        made_at=forecast.made_at,
        weeks=forecast.weeks,
        payload=forecast.as_json(),
    )
    savepoint = session.begin_nested()
    try:
        session.add(row)
        session.flush()
    except IntegrityError:  # another beat stored it between our look and our insert
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def make_due_forecasts(
    session: Session, calendars: Mapping[int, OfficeCalendar], at: datetime, weeks: int
) -> int:
    """Each active office past FORECAST_LOCAL_HOUR without today's forecast gets it."""
    made = 0
    offices = session.scalars(sa.select(Office).where(Office.id.in_(list(calendars))))
    for office in offices:
        local = at.astimezone(ZoneInfo(office.timezone))
        if local.hour < FORECAST_LOCAL_HOUR or stored(session, office.id, local.date()):
            continue
        forecast = forecast_day(session, office, calendars[office.id], local.date(), at, weeks)
        made += store_forecast(session, forecast)
    return made
