"""The live board: per queue, what waits now and for how long; per office, open or closed.

A fixed number of queries whatever the number of tickets (no N+1):
1. the visible queues with their open-ticket counts (one GROUP BY; the open statuses are a
   small share of the table and the partial/status indexes find them),
2. the oldest waiting ticket of each queue (a correlated `ORDER BY released_at, id LIMIT 1`
   per queue, which walks `ix_ticket_waiting_claim` to its first entry: one index probe per
   queue, not a scan; portable to SQLite, where the dev stack runs, unlike LATERAL),
3. the queues' members with their held-ticket count (a correlated count per agent on
   `ix_ticket_assignee_status`),
plus the offices and their calendars (`hours.queries.calendars_for_offices`).

Waits are counted from `created_at`, like `Ticket.wait_seconds`/`wait_business_seconds`, so
the board's "oldest wait" and the SLA target speak of the same time; a ticket deferred
overnight has waited no business time while the office was closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import Session

from pandawa.accounts.models import User, display_name
from pandawa.core.clock import as_utc, now
from pandawa.hours.calendar import CalendarError, OfficeCalendar
from pandawa.hours.formatting import format_clock, format_local, zone_abbreviation
from pandawa.hours.models import Office
from pandawa.hours.queries import calendars_for_offices
from pandawa.tickets.estimates import ONLINE_WINDOW
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket, queue_member
from pandawa.tickets.queries import (
    visibility_clause,
    visible_offices_clause,
    visible_queues_clause,
)
from pandawa.tickets.returns import GONE_AFTER

# the words around the office's next change; the date and time come from hours/formatting.py
OFFICE_WORDS = {
    "id": {"opens": "Buka", "closes": "Tutup", "at": "pukul", "never": "Tidak ada jadwal buka"},
    "en": {"opens": "Opens", "closes": "Closes", "at": "at", "never": "No opening scheduled"},
}


@dataclass
class AgentLoad:
    user_id: int
    name: str
    email: str
    presence: str  # online | away | offline, as the board reads it (see effective_presence)
    held: int  # tickets the agent holds now, in any queue
    capacity: int


@dataclass
class QueueRow:
    queue_id: int
    code: str
    name: str
    waiting: int
    deferred: int
    assigned: int
    oldest_wait_business_seconds: int | None
    oldest_wait_seconds: int | None
    sla_seconds: int
    is_breached: bool
    agents_online: int
    agents: list[AgentLoad] = field(default_factory=list)


@dataclass
class OfficeRow:
    code: str
    name: str
    timezone: str
    is_open: bool
    next_change_at: datetime | None
    next_change_text: str


@dataclass
class Board:
    generated_at: datetime
    queues: list[QueueRow]
    offices: list[OfficeRow]


@dataclass
class QueueCounts:
    queue: Queue
    waiting: int
    deferred: int
    assigned: int


@dataclass
class Oldest:
    office_id: int
    created_at: datetime


def board(session: Session, user: User, *, language: str = "id") -> Board:
    """The live board as `user` may see it: agents their queues, supervisors and admins all,
    a scoped supervisor every queue with her offices' tickets and her offices only."""
    at = now()
    calendars = calendars_for_offices(session)
    rows = live_queues(
        session, visible_queues_clause(user), at, language, calendars, visibility_clause(user)
    )
    offices = office_rows(session, calendars, at, language, visible=visible_offices_clause(user))
    return Board(generated_at=at, queues=rows, offices=offices)


def live_queues(
    session: Session,
    visible: sa.ColumnElement[bool] | None,
    at: datetime,
    language: str = "id",
    calendars: dict[int, OfficeCalendar] | None = None,
    tickets: sa.ColumnElement[bool] | None = None,
) -> list[QueueRow]:
    """The live figures of each active queue `visible` selects (None: every one), of the
    tickets `tickets` selects (None: all; a scoped supervisor's offices), the one definition
    the board, the API (`/queues`, `/stats/queues`) and /metrics read
    (`pandawa.reports.definitions`): open tickets by status; the oldest wait of the first
    ticket in claim order, from its `created_at`, in calendar and business seconds; agents
    online as automatic assignment sees them (`effective_presence`)."""
    counts = queue_counts(session, visible, tickets=tickets)
    queue_ids = [row.queue.id for row in counts]
    oldest = oldest_waiting(session, queue_ids, tickets=tickets)
    agents = queue_agents(session, queue_ids, at)
    if calendars is None:
        calendars = calendars_for_offices(session) if oldest else {}
    rows = []
    for row in counts:
        queue = row.queue
        first = oldest.get(queue.id)
        calendar_wait = business_wait = None
        if first is not None:
            calendar_wait = max(0, int((at - first.created_at).total_seconds()))
            business_wait = business_seconds(calendars.get(first.office_id), first.created_at, at)
        members = agents.get(queue.id, [])
        rows.append(
            QueueRow(
                queue_id=queue.id,
                code=queue.code,
                name=queue.name(language),
                waiting=row.waiting,
                deferred=row.deferred,
                assigned=row.assigned,
                oldest_wait_business_seconds=business_wait,
                oldest_wait_seconds=calendar_wait,
                sla_seconds=queue.sla_seconds,
                is_breached=business_wait is not None and business_wait > queue.sla_seconds,
                agents_online=sum(1 for agent in members if agent.presence == "online"),
                agents=[a for a in members if a.presence != "offline" or a.held],
            )
        )
    return rows


def queue_counts(
    session: Session,
    visible: sa.ColumnElement[bool] | None = None,
    *,
    tickets: sa.ColumnElement[bool] | None = None,
) -> list[QueueCounts]:
    """Active queues (limited by `visible`) with their deferred/waiting/assigned counts (of
    the tickets `tickets` selects: a scoped supervisor's offices)."""

    def count(status: str) -> sa.ColumnElement[int]:
        return sa.func.count(Ticket.id).filter(Ticket.status == status)

    stmt = (
        sa.select(Queue, count("waiting"), count("deferred"), count("assigned"))
        .outerjoin(
            Ticket,
            sa.and_(
                Ticket.queue_id == Queue.id,
                Ticket.status.in_(OPEN_STATUSES),
                tickets if tickets is not None else sa.true(),
            ),
        )
        .where(Queue.is_active.is_(True), visible if visible is not None else sa.true())
        .group_by(Queue.id)
        .order_by(Queue.code)
    )
    return [QueueCounts(q, w, d, a) for q, w, d, a in session.execute(stmt)]


def oldest_waiting(
    session: Session, queue_ids: Iterable[int], *, tickets: sa.ColumnElement[bool] | None = None
) -> dict[int, Oldest]:
    """The longest-waiting ticket of each queue (claim order: released_at, id), by queue id,
    among the tickets `tickets` selects (all by default)."""
    ids = list(queue_ids)
    if not ids:
        return {}
    first_id = (
        sa.select(Ticket.id)
        .where(
            Ticket.queue_id == Queue.id,
            Ticket.status == "waiting",
            tickets if tickets is not None else sa.true(),
        )
        .order_by(Ticket.released_at, Ticket.id)
        .limit(1)
        .correlate(Queue)
        .scalar_subquery()
    )
    firsts = sa.select(first_id).where(Queue.id.in_(ids))
    stmt = sa.select(Ticket.queue_id, Ticket.office_id, Ticket.created_at).where(
        Ticket.id.in_(firsts)
    )
    return {
        queue_id: Oldest(office_id, as_utc(created_at))
        for queue_id, office_id, created_at in session.execute(stmt)
    }


class QueueCollector:
    """Queue gauges for /metrics, read from the database at scrape time through `live_queues`
    (the board's own figures: three cheap queries and the calendars), so every web process
    answers the same figures as the board without sharing state."""

    def __init__(self, session: Session, at: datetime | None = None) -> None:
        self.session = session
        self.at = at

    def collect(self) -> Iterable[GaugeMetricFamily]:
        rows = live_queues(self.session, None, self.at or now())
        tickets = GaugeMetricFamily(
            "pandawa_queue_tickets",
            "Open tickets per queue and status (deferred, waiting, assigned).",
            labels=["queue", "status"],
        )
        wait = GaugeMetricFamily(
            "pandawa_queue_oldest_wait_seconds",
            "Calendar seconds since the oldest waiting ticket of the queue was created (0: none).",
            labels=["queue"],
        )
        business = GaugeMetricFamily(
            "pandawa_queue_oldest_wait_business_seconds",
            "Business seconds (office hours) the oldest waiting ticket has waited (0: none).",
            labels=["queue"],
        )
        target = GaugeMetricFamily(
            "pandawa_queue_sla_seconds",
            "The queue's first-response target in business seconds.",
            labels=["queue"],
        )
        online = GaugeMetricFamily(
            "pandawa_queue_agents_online",
            "Members of the queue online as automatic assignment sees them (the board's count).",
            labels=["queue"],
        )
        for row in rows:
            code = row.code
            for status in OPEN_STATUSES:
                tickets.add_metric([code, status], getattr(row, status))
            wait.add_metric([code], row.oldest_wait_seconds or 0)
            business.add_metric([code], row.oldest_wait_business_seconds or 0)
            target.add_metric([code], row.sla_seconds)
            online.add_metric([code], row.agents_online)
        yield from (tickets, wait, business, target, online)


def effective_presence(presence: str, last_seen_at: datetime | None, at: datetime) -> str:
    """ "online" only as automatic assignment sees it (chose online, seen in the last ten
    minutes); a chosen state gone stale past GONE_AFTER reads "offline", like the beat that
    returns such agents' tickets; "away" otherwise."""
    if presence == "offline" or last_seen_at is None or last_seen_at < at - GONE_AFTER:
        return "offline"
    if presence == "online" and last_seen_at >= at - ONLINE_WINDOW:
        return "online"
    return "away"


def queue_agents(
    session: Session, queue_ids: Iterable[int], at: datetime
) -> dict[int, list[AgentLoad]]:
    """The active members of each queue with their load, by queue id (one query)."""
    ids = list(queue_ids)
    if not ids:
        return {}
    held = (
        sa.select(sa.func.count(Ticket.id))
        .where(Ticket.assignee_id == User.id, Ticket.status == "assigned")
        .correlate(User)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            queue_member.c.queue_id,
            User.id,
            User.name,
            User.email,
            User.presence,
            User.last_seen_at,
            User.capacity,
            held,
        )
        .join(User, User.id == queue_member.c.user_id)
        .where(queue_member.c.queue_id.in_(ids), User.is_active.is_(True))
        .order_by(User.name, User.email)
    )
    result: dict[int, list[AgentLoad]] = defaultdict(list)
    for queue_id, user_id, name, email, presence, seen, capacity, count in session.execute(stmt):
        result[queue_id].append(
            AgentLoad(
                user_id=user_id,
                name=display_name(name, email),
                email=email,
                presence=effective_presence(presence, as_utc(seen), at),
                held=count,
                capacity=capacity,
            )
        )
    return result


def business_seconds(calendar: OfficeCalendar | None, start: datetime, end: datetime) -> int | None:
    """Open seconds in [start, end) by the office's calendar; None for an unknown office."""
    if calendar is None:
        return None
    return calendar.business_seconds(start, end)


def office_rows(
    session: Session,
    calendars: dict[int, OfficeCalendar],
    at: datetime,
    language: str = "id",
    *,
    visible: sa.ColumnElement[bool] | None = None,
) -> list[OfficeRow]:
    offices = session.scalars(
        sa.select(Office)
        .where(Office.id.in_(list(calendars)), visible if visible is not None else sa.true())
        .order_by(Office.code)
    )
    rows = []
    for office in offices:
        calendar = calendars[office.id]
        is_open = calendar.is_open(at)
        try:
            change = calendar.next_closing(at) if is_open else calendar.next_opening(at)
        except CalendarError:
            change = None
        rows.append(
            OfficeRow(
                code=office.code,
                name=office.name,
                timezone=office.timezone,
                is_open=is_open,
                next_change_at=change,
                next_change_text=next_change_text(is_open, change, office.timezone, at, language),
            )
        )
    return rows


def next_change_text(
    is_open: bool, change: datetime | None, zone: str, at: datetime, language: str = "id"
) -> str:
    """ "Tutup pukul 15.00 WIB" (later today) / "Buka Senin, 7 Desember 2026 pukul 08.00 WIB"."""
    words = OFFICE_WORDS["en" if language == "en" else "id"]
    verb = words["closes"] if is_open else words["opens"]
    if change is None:
        return verb if is_open else words["never"]
    local = change.astimezone(ZoneInfo(zone))
    if local.date() == at.astimezone(ZoneInfo(zone)).date():
        clock = format_clock(local.hour, local.minute, language)
        return f"{verb} {words['at']} {clock} {zone_abbreviation(zone, change)}"
    return f"{verb} {format_local(change, zone, language)}"
