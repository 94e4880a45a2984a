"""Surge mode's beat work: the threshold rule, and the live queue topped up as it drains.

"Servable today" is what the agents online can still get through before closing:
sum of their capacities × the remaining open seconds ÷ the queue's recent handle time
(`estimates.recent_handle_seconds`, the same figure the citizen's estimate uses). The work at
hand is what waits (live and deferred) plus the last hour's arrivals carried over the remaining
open hours. The rule turns a queue's surge on when the work exceeds `surge_auto_ratio` ×
servable, and turns a surge *it* began off once the work falls below HYSTERESIS × that
threshold (or to nothing), so a queue near the line does not flap each minute. A surge a
supervisor began is left to her. Closed offices are not judged: outside hours every handoff
is deferred anyway.

Both tasks are safe on two beats at once: queues are locked `FOR NO KEY UPDATE SKIP LOCKED`
(the rule) or `FOR NO KEY UPDATE` (the top-up, the same lock a handoff takes, so the cap is
counted by one of them at a time), tickets `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.catalog.queries import active_catalog
from pandawa.hours.calendar import OfficeCalendar
from pandawa.hours.queries import calendars_for_offices
from pandawa.tickets import estimates
from pandawa.tickets.models import Queue, Ticket, queue_member
from pandawa.tickets.notify import notify_citizen
from pandawa.tickets.operations import add_event
from pandawa.tickets.surge import (
    capped_queue_ids,
    is_capped,
    live_waiting,
    lock_queue,
    switch,
)

log = logging.getLogger(__name__)
HYSTERESIS = 0.8
ARRIVAL_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class SurgeForecast:
    """A queue's load against what the agents online can serve before closing."""

    waiting: int
    deferred: int
    arrivals_per_hour: int
    remaining_seconds: int  # open time left today (0: every office closed)
    online_capacity: int  # sum of the online agents' capacities
    handle_seconds: int
    servable_today: int
    demand: int  # waiting + deferred + arrivals per hour × remaining hours


def online_capacity(session: Session, queue_ids: list[int], at: datetime) -> dict[int, int]:
    """Per queue, the capacities of its agents online (as `estimates.agents_online` counts
    them), in one query."""
    return {
        queue_id: int(total or 0)
        for queue_id, total in session.execute(
            sa.select(queue_member.c.queue_id, sa.func.sum(User.capacity))
            .join(User, queue_member.c.user_id == User.id)
            .where(
                queue_member.c.queue_id.in_(queue_ids),
                User.is_active,
                User.last_seen_at >= at - estimates.ONLINE_WINDOW,
            )
            .group_by(queue_member.c.queue_id)
        )
    }


def open_counts(session: Session, queue_ids: list[int]) -> dict[tuple[int, str], int]:
    """Per queue and status, the tickets waiting live and deferred (one GROUP BY on
    `ix_ticket_queue_status`)."""
    return {
        (queue_id, status): int(count)
        for queue_id, status, count in session.execute(
            sa.select(Ticket.queue_id, Ticket.status, sa.func.count())
            .where(Ticket.queue_id.in_(queue_ids), Ticket.status.in_(("waiting", "deferred")))
            .group_by(Ticket.queue_id, Ticket.status)
        )
    }


def arrivals(session: Session, queue_ids: list[int], at: datetime) -> dict[int, int]:
    """Per queue, the tickets created in the last hour (`ix_ticket_created_at`)."""
    return {
        queue_id: int(count)
        for queue_id, count in session.execute(
            sa.select(Ticket.queue_id, sa.func.count())
            .where(
                Ticket.created_at > at - ARRIVAL_WINDOW,
                Ticket.created_at <= at,
                Ticket.queue_id.in_(queue_ids),
            )
            .group_by(Ticket.queue_id)
        )
    }


def _longest_open(calendars: dict[int, OfficeCalendar], at: datetime) -> OfficeCalendar | None:
    """The open office that stays open longest today (agents serve a queue of every office)."""
    best, best_closing = None, None
    for calendar in calendars.values():
        closing = calendar.next_closing(at)
        if closing is not None and (best_closing is None or closing > best_closing):
            best, best_closing = calendar, closing
    return best


def forecast(
    session: Session, queue: Queue, at: datetime, calendars: dict[int, OfficeCalendar]
) -> SurgeForecast:
    return forecasts(session, [queue.id], at, calendars)[queue.id]


def forecasts(
    session: Session, queue_ids: list[int], at: datetime, calendars: dict[int, OfficeCalendar]
) -> dict[int, SurgeForecast]:
    """Each queue's forecast: three grouped queries for all of them, then the queue's recent
    handle time (`estimates.recent_handle_seconds`, one indexed query per queue)."""
    calendar = _longest_open(calendars, at)
    closing = calendar.next_closing(at) if calendar is not None else None
    remaining = int((closing - at).total_seconds()) if closing is not None else 0
    capacities = online_capacity(session, queue_ids, at) if remaining else {}
    counts = open_counts(session, queue_ids)
    per_hour = arrivals(session, queue_ids, at)
    found = {}
    for queue_id in queue_ids:
        handle = (
            estimates.recent_handle_seconds(session, queue_id, calendar)
            if calendar is not None
            else estimates.DEFAULT_HANDLE_SECONDS
        )
        capacity = capacities.get(queue_id, 0)
        waiting = counts.get((queue_id, "waiting"), 0)
        deferred = counts.get((queue_id, "deferred"), 0)
        arrived = per_hour.get(queue_id, 0)
        found[queue_id] = SurgeForecast(
            waiting=waiting,
            deferred=deferred,
            arrivals_per_hour=arrived,
            remaining_seconds=remaining,
            online_capacity=capacity,
            handle_seconds=handle,
            servable_today=math.floor(capacity * remaining / handle) if handle > 0 else 0,
            demand=waiting + deferred + math.ceil(arrived * remaining / 3600),
        )
    return found


def rule_says(queue: Queue, fc: SurgeForecast) -> bool | None:
    """True: switch on; False: switch off; None: leave it. Only queues with a threshold, only
    while an office is open; off only for a surge the rule began."""
    ratio = queue.surge_auto_ratio
    if ratio is None or fc.remaining_seconds == 0:
        return None
    threshold = ratio * fc.servable_today
    if queue.surge_since is None:
        return True if fc.demand > threshold else None
    if queue.surge_by == "rule" and (fc.demand == 0 or fc.demand < HYSTERESIS * threshold):
        return False
    return None


def apply_rule(session: Session, at: datetime) -> int:
    """Switch queues on or off by their threshold; the caller commits. Returns the switches."""
    queues = list(
        session.scalars(
            sa.select(Queue)
            .where(Queue.is_active, Queue.surge_auto_ratio.is_not(None))
            .order_by(Queue.id)
            .with_for_update(skip_locked=True, key_share=True)
        )
    )
    if not queues:
        return 0
    calendars = calendars_for_offices(session)
    found = forecasts(session, [q.id for q in queues], at, calendars)
    switched = 0
    for queue in queues:
        fc = found[queue.id]
        verdict = rule_says(queue, fc)
        if verdict is None:
            continue
        reason = {"demand": fc.demand, "servable_today": fc.servable_today}
        if switch(session, queue, verdict, at, reason=reason):
            switched += 1
    return switched


def top_up(session: Session, at: datetime) -> int:
    """Move the oldest deferred tickets of each capped queue into its live queue, up to the
    cap, for offices open now; each citizen is told. Commits per queue."""
    queue_ids = list(session.scalars(capped_queue_ids().order_by(Queue.id)))
    if not queue_ids:
        return 0
    open_offices = [
        office_id for office_id, cal in calendars_for_offices(session).items() if cal.is_open(at)
    ]
    released = 0
    catalog = active_catalog()
    for queue_id in queue_ids:
        queue = lock_queue(session, queue_id)
        if not is_capped(queue) or not open_offices:
            session.rollback()
            continue
        assert queue.live_capacity is not None
        room = queue.live_capacity - live_waiting(session, queue_id)
        batch = (
            list(
                session.scalars(
                    sa.select(Ticket)
                    .where(
                        Ticket.queue_id == queue_id,
                        Ticket.status == "deferred",
                        Ticket.office_id.in_(open_offices),
                        Ticket.created_at <= at,
                    )
                    .order_by(Ticket.created_at, Ticket.id)
                    .limit(room)
                    .with_for_update(skip_locked=True, of=Ticket)
                )
            )
            if room > 0
            else []
        )
        for ticket in batch:
            ticket.status = "waiting"
            ticket.released_at = at
            ticket.updated_at = at
            add_event(
                session,
                ticket,
                "released",
                deferred_since=ticket.created_at.isoformat(),
                by="surge",
            )
        session.flush()
        for ticket in batch:
            notify_citizen(session, ticket, "surge_released", at, catalog, ticket=ticket.number)
        session.commit()
        released += len(batch)
    if released:
        log.info("surge: %s deferred tickets moved into live queues", released)
    return released
