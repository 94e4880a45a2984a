"""Where a citizen stands in the queue, and an honest estimate of the wait.

The estimate (`estimate`, pure) works from the queue's recent times and the agents online:

- the agents online offer `sum(capacity)` places at once (User.capacity: tickets at once);
  `sum(capacity - load)` of them are free now;
- a citizen whose place fits a free one waits only the time an agent takes to answer after
  claiming (the recent median of assigned → first response);
- beyond that, each place frees once per recent handle time (mean first response →
  resolution, business time), so the rest of the queue moves at `places / handle` tickets a
  second: (position − free) × handle / places, plus the answering time;
- the wait is counted in office hours (hours/calendar.py, which obeys closures and "close
  now" overrides): when it runs past today's closing it rolls over to the next opening, and
  the citizen is told the day and time ("kemungkinan dilayani Senin, 7 Desember 2026 pukul
  08.00 WIB"), never "about N minutes". "Today" is said only when the office is open now and
  the expected service time is still today with a margin before closing (5 minutes or a
  quarter of the wait, whichever is larger: the estimate is a mean, and a wait ending just
  before closing often ends after it); inside that margin the citizen hears the next opening.

No agent online → no number (the reply says so instead of inventing one).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.hours.calendar import CalendarError, OfficeCalendar
from pandawa.tickets.models import Ticket, queue_member

# an agent who made a request in the last ten minutes counts as online
ONLINE_WINDOW = timedelta(minutes=10)
# handle time assumed before a queue has any history
DEFAULT_HANDLE_SECONDS = 10 * 60
# time from a claim to the first answer assumed before a queue has any history
DEFAULT_ANSWER_SECONDS = 0
HISTORY = 50
# the displayed time of a rolled-over estimate is floored to this many minutes
DISPLAY_STEP_MINUTES = 5

TODAY, LATER, NO_AGENTS = "today", "later", "no_agents"
# "today" only with this much office time left after the expected service: the larger of a
# floor and a share of the wait (tuned on bench/eta_backtest.py)
TODAY_MARGIN_MIN_SECONDS = 5 * 60
TODAY_MARGIN_SHARE = 0.25


@dataclass(frozen=True)
class Staff:
    """An online agent of the queue: tickets at once (`capacity`) and held now (`load`)."""

    capacity: int
    load: int = 0


@dataclass(frozen=True)
class QueueTimes:
    """A queue's recent times in office-hour seconds: mean handle, median answering time."""

    handle_seconds: int = DEFAULT_HANDLE_SECONDS
    answer_seconds: int = DEFAULT_ANSWER_SECONDS


@dataclass(frozen=True)
class Estimate:
    """What the citizen is told: `today` (about `wait_seconds`), `later` (`shown_at`: the
    expected time floored to 5 minutes, or the next opening when the expected time falls just
    before today's closing), or `no_agents` (no number at all)."""

    kind: str
    wait_seconds: int | None = None  # business seconds until a person is expected
    served_at: datetime | None = None  # when, UTC (an open instant of the calendar)
    shown_at: datetime | None = None  # served_at floored to 5 minutes within its open stretch


def queue_wait_seconds(position: int, times: QueueTimes, staff: Sequence[Staff]) -> int | None:
    """Business seconds until an agent answers the citizen at `position` (1 = next);
    None when no agent online offers a place. Monotone in `position`."""
    places = sum(max(0, s.capacity) for s in staff)
    if places <= 0:
        return None
    free = sum(max(0, s.capacity - max(0, s.load)) for s in staff)
    behind = max(0, position - free)
    return math.ceil(behind * max(0, times.handle_seconds) / places) + max(0, times.answer_seconds)


def estimate(
    position: int,
    times: QueueTimes,
    staff: Sequence[Staff],
    calendar: OfficeCalendar,
    at: datetime,
) -> Estimate:
    """The honest estimate (pure): see the module's docstring."""
    wait = queue_wait_seconds(position, times, staff)
    if wait is None:
        return Estimate(NO_AGENTS)
    try:
        served_at, stretch_start = add_business_seconds(calendar, at, wait)
    except CalendarError:
        return Estimate(NO_AGENTS)
    shown = _floor_minutes(served_at, DISPLAY_STEP_MINUTES)
    shown = max(shown, stretch_start)
    same_day = calendar.is_open(at) and calendar.local_date(served_at) == calendar.local_date(at)
    if not same_day:
        return Estimate(LATER, wait, served_at, shown)
    day_end = _day_end(calendar, at)
    if calendar.business_seconds(served_at, day_end) >= today_margin(wait):
        return Estimate(TODAY, wait, served_at, shown)
    # just before closing: not realistic today, so the citizen hears the next opening
    return Estimate(LATER, wait, served_at, calendar.next_opening(day_end))


def today_margin(wait_seconds: int) -> int:
    """Office time that must remain after the expected service for "today" to be realistic:
    the estimate is a mean and handle times are skewed, so a wait ending just before closing
    often ends after it (bench/eta_backtest.py)."""
    return max(TODAY_MARGIN_MIN_SECONDS, int(TODAY_MARGIN_SHARE * wait_seconds))


def _day_end(calendar: OfficeCalendar, at: datetime) -> datetime:
    """The end of the last open stretch of `at`'s local date (at itself when none)."""
    intervals = calendar.open_intervals(*calendar.day_bounds(calendar.local_date(at)))
    return intervals[-1][1] if intervals else at


def add_business_seconds(
    calendar: OfficeCalendar, at: datetime, seconds: int
) -> tuple[datetime, datetime]:
    """The open instant `seconds` of office time after `at`, and the start of its open stretch.

    Always an instant when the office is open: a wait that ends exactly at a closing lands on
    the next opening."""
    remaining = timedelta(seconds=max(0, seconds))
    start = calendar.next_opening(at)
    while True:
        end = calendar.next_closing(start)
        if end is None:  # cannot happen: next_opening answers an open instant
            raise CalendarError("no open stretch")
        if start + remaining < end:
            served = start + remaining
            return served, _stretch_start(calendar, served)
        remaining -= end - start
        start = calendar.next_opening(end)


def _stretch_start(calendar: OfficeCalendar, at: datetime) -> datetime:
    """When the open stretch containing `at` began (looking at most a day back)."""
    intervals = calendar.open_intervals(at - timedelta(days=1), at + timedelta(microseconds=1))
    return intervals[-1][0] if intervals else at


def _floor_minutes(at: datetime, step: int) -> datetime:
    floored = at.replace(second=0, microsecond=0)
    return floored - timedelta(minutes=floored.minute % step)


# -- reads ---------------------------------------------------------------------------------
def queue_position(session: Session, ticket: Ticket) -> int:
    """1 for the next ticket an agent will claim in this queue."""
    ahead = (
        sa.select(sa.func.count())
        .select_from(Ticket)
        .where(
            Ticket.queue_id == ticket.queue_id,
            Ticket.status == "waiting",
            sa.tuple_(Ticket.released_at, Ticket.id) < sa.tuple_(ticket.released_at, ticket.id),
        )
    )
    return int(session.scalar(ahead) or 0) + 1


def _online_clause(queue_id: int, at: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        queue_member.c.queue_id == queue_id,
        User.is_active,
        User.last_seen_at >= at - ONLINE_WINDOW,
    )


def agents_online(session: Session, queue_id: int, at: datetime) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .join(queue_member, queue_member.c.user_id == User.id)
            .where(_online_clause(queue_id, at))
        )
        or 0
    )


def online_staff(session: Session, queue_id: int, at: datetime) -> list[Staff]:
    """The queue's agents online at `at` with their capacity and the tickets they hold now
    (in any queue: a ticket held elsewhere takes a place too). One query."""
    held = (
        sa.select(sa.func.count(Ticket.id))
        .where(Ticket.assignee_id == User.id, Ticket.status == "assigned")
        .correlate(User)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(User.capacity, held)
        .select_from(User)
        .join(queue_member, queue_member.c.user_id == User.id)
        .where(_online_clause(queue_id, at))
    )
    return [Staff(capacity=int(capacity), load=int(load)) for capacity, load in rows]


def recent_times(session: Session, queue_id: int, calendar: OfficeCalendar) -> QueueTimes:
    """Over the queue's last resolved tickets, in office-hour seconds: the mean handle time
    (first answer → resolution) and the median answering time (claim → first answer).

    The mean, not the median, for the handle time: c places free at c / E[handle] a second
    (handle times are skewed: the median of a log-normal is half its mean, and the back-test,
    bench/eta_backtest.py, showed the queue moving half as fast as the median promised)."""
    rows = session.execute(
        sa.select(Ticket.assigned_at, Ticket.first_response_at, Ticket.resolved_at)
        .where(
            Ticket.queue_id == queue_id,
            Ticket.status == "resolved",
            Ticket.first_response_at.is_not(None),
        )
        .order_by(Ticket.resolved_at.desc())
        .limit(HISTORY)
    ).all()
    spans = [calendar.business_seconds(first, end) for _, first, end in rows if end > first]
    answers = [
        calendar.business_seconds(claimed, first)
        for claimed, first, _ in rows
        if claimed is not None and first >= claimed
    ]
    return QueueTimes(
        handle_seconds=int(statistics.fmean(spans)) if spans else DEFAULT_HANDLE_SECONDS,
        answer_seconds=int(statistics.median(answers)) if answers else DEFAULT_ANSWER_SECONDS,
    )


def recent_handle_seconds(session: Session, queue_id: int, calendar: OfficeCalendar) -> int:
    """Mean business seconds from first response to resolution over recent tickets."""
    return recent_times(session, queue_id, calendar).handle_seconds


def estimate_for(
    session: Session, ticket: Ticket, position: int, at: datetime, calendar: OfficeCalendar
) -> Estimate:
    """`estimate` with the queue's recent times and its agents online read from the database."""
    times = recent_times(session, ticket.queue_id, calendar)
    return estimate(position, times, online_staff(session, ticket.queue_id, at), calendar, at)


def estimate_wait_seconds(
    session: Session, ticket: Ticket, position: int, at: datetime, calendar: OfficeCalendar
) -> int | None:
    """Business seconds of the estimate; None without an agent online."""
    return estimate_for(session, ticket, position, at, calendar).wait_seconds


def rounded_minutes(seconds: int) -> int:
    """Whole minutes, up to the next 5 (it is an estimate: "about 25 minutes")."""
    return max(5, 5 * math.ceil(seconds / 300))
