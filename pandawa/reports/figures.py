"""Queue-time figures over the tickets CREATED in a scope and visible to the user.

Every function is one SQL query (a scan of ix_ticket_created_at over the range) with FILTER
aggregates and percentile_cont, so a 30-day range of ~80k tickets stays cheap. SQLite (the
embedded dev stack) has no percentile_cont: there `figures` aggregates fetched rows in Python
(`aggregate`, which the tests also hold against the SQL). The charts' series (plain SQL on both)
are in `pandawa.reports.series`.

Definitions (shared with the drill-down, which filters with the same expressions; every
figure and its name on each surface: `pandawa.reports.definitions`):
- a ticket counts in the queue it is in now (after a transfer: the queue it ended in) and for
  the agent who holds or resolved it, for every figure
- wait = first response - created_at, in business seconds (office open time) and calendar seconds
- handle = resolved_at - first response; resolution = resolved_at - created_at (resolved tickets)
- SLA counted = answered, or unanswered with sla_breached_at; met = answered within the queue's
  sla_seconds (business time); attainment = met / counted, 4 decimals
- reopened = reopened at least once after a resolution (a "reopened" event)
- carried over = answered on a later local date (office zone) than created, or still open and
  unanswered on a later local date by the clock; cancelled/resolved unanswered ones are not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.core.clock import now
from pandawa.core.sqltypes import UTCDateTime
from pandawa.reports.scope import LocalTime, Scope, base_select, is_postgresql, office_zone
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket, TicketEvent, queue_member
from pandawa.tickets.queries import percentile, visible_queues_clause

ALL_LABEL = "Semua"


@dataclass
class Figures:
    key: str
    label: str
    created: int = 0
    resolved: int = 0
    cancelled: int = 0
    transferred: int = 0
    responded: int = 0
    wait_business_p50: float | None = None
    wait_business_p90: float | None = None
    wait_business_avg: float | None = None
    wait_calendar_p50: float | None = None
    wait_calendar_p90: float | None = None
    wait_calendar_avg: float | None = None
    handle_p50: float | None = None
    handle_p90: float | None = None
    handle_avg: float | None = None
    resolution_p50: float | None = None
    resolution_p90: float | None = None
    resolution_avg: float | None = None
    sla_met: int = 0
    sla_counted: int = 0
    sla_attainment: float | None = None
    sla_seconds: int | None = None
    satisfaction_avg: float | None = None
    satisfaction_count: int = 0
    reopened: int = 0


# business seconds [lower, upper) of the wait-time chart and the drill-down's wait_bucket
BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("lt5m", "< 5 menit", 0, 300),
    ("5-15m", "5–15 menit", 300, 900),
    ("15-30m", "15–30 menit", 900, 1800),
    ("30-60m", "30–60 menit", 1800, 3600),
    ("1-2h", "1–2 jam", 3600, 7200),
    ("2-4h", "2–4 jam", 7200, 14400),
    ("4-8h", "4–8 jam", 14400, 28800),
    ("ge8h", "≥ 8 jam", 28800, None),
)
BUCKET_KEYS = tuple(key for key, *_ in BUCKETS)


# -- expressions shared with the drill-down ---------------------------------------------

RESPONDED = Ticket.first_response_at.is_not(None)
# reopened for an agent because the citizen wrote again soon after its resolution (at least
# once); not correlated, so PostgreSQL reads the few reopened ids once from the partial index
# ix_ticket_event_reopened and hashes them (a probe per ticket would walk every event of it)
REOPENED = Ticket.id.in_(sa.select(TicketEvent.ticket_id).where(TicketEvent.kind == "reopened"))
SLA_MET = sa.and_(RESPONDED, Ticket.wait_business_seconds <= Queue.sla_seconds)
SLA_COUNTED = sa.or_(RESPONDED, Ticket.sla_breached_at.is_not(None))
SLA_MISSED = sa.or_(
    sa.and_(RESPONDED, Ticket.wait_business_seconds > Queue.sla_seconds),
    sa.and_(Ticket.first_response_at.is_(None), Ticket.sla_breached_at.is_not(None)),
)


def bucket_clause(lower: int, upper: int | None) -> sa.ColumnElement[bool]:
    wait = Ticket.wait_business_seconds
    clause = sa.and_(RESPONDED, wait >= lower)
    return clause if upper is None else sa.and_(clause, wait < upper)


def service_expr() -> sa.ColumnElement[str]:
    return sa.func.coalesce(Ticket.details["service"].as_string(), "")


def carried_over_clause(session: Session, at: datetime | None = None) -> sa.ColumnElement[bool]:
    """Needs Office joined on Ticket.office_id."""
    lt, zone = LocalTime(session), office_zone(session)
    created_day = lt.day(Ticket.created_at, zone)
    today = lt.day(sa.literal(at or now(), UTCDateTime()), zone)
    return sa.or_(
        sa.and_(RESPONDED, lt.day(Ticket.first_response_at, zone) > created_day),
        sa.and_(
            Ticket.first_response_at.is_(None),
            Ticket.status.in_(OPEN_STATUSES),
            today > created_day,
        ),
    )


# -- figures per queue / agent / all --------------------------------------------------------
Measure = tuple[
    Any,
    str,
    datetime,
    datetime | None,
    datetime | None,
    int | None,
    int | None,
    int,
    datetime | None,
    int,
    int | None,
    bool,
]


def figures(
    session: Session,
    user: User,
    scope: Scope,
    by: Literal["queue", "agent", "all"],
    *,
    method: Literal["sql", "python"] | None = None,
) -> list[Figures]:
    """One row per visible queue, per agent, or a single "all" row (zeros where nothing).

    `method`: "sql" (PostgreSQL's percentile_cont, the default there) or "python" (rows
    fetched and aggregated by `aggregate`, the default on SQLite, which has no
    percentile_cont). Both implement the rules above and are held equal figure by figure on
    the same tickets (tests/reports/test_one_definition.py)."""
    if by not in ("queue", "agent", "all"):
        raise ValueError(f"by={by!r}: expected queue, agent or all")
    key_column: Any = {"queue": Ticket.queue_id, "agent": Ticket.assignee_id, "all": None}[by]
    clauses: list[Any] = []
    if by == "agent":
        clauses.append(Ticket.assignee_id.is_not(None))
        if not user.sees_all_queues:  # an agent sees their own row only
            clauses.append(Ticket.assignee_id == user.id)
    if method is None:
        method = "sql" if is_postgresql(session) else "python"
    if method == "sql":
        found = _figures_sql(session, user, scope, key_column, clauses)
    else:
        found = _figures_python(session, user, scope, key_column, clauses)
    return _label(session, user, scope, by, found)


def _figures_sql(
    session: Session, user: User, scope: Scope, key_column: Any, clauses: list[Any]
) -> dict[Any, Figures]:
    # waits of answered tickets only (the measure is fixed by the first reply)
    wait_b = sa.case((RESPONDED, sa.cast(Ticket.wait_business_seconds, sa.Float)))
    wait_c = sa.case((RESPONDED, sa.cast(Ticket.wait_seconds, sa.Float)))
    resolved = Ticket.status == "resolved"
    handle = sa.case(
        (
            resolved,
            sa.cast(sa.extract("epoch", Ticket.resolved_at - Ticket.first_response_at), sa.Float),
        )
    )
    resolution = sa.case(
        (resolved, sa.cast(sa.extract("epoch", Ticket.resolved_at - Ticket.created_at), sa.Float))
    )
    count = sa.func.count
    columns: list[Any] = [
        count(),
        count().filter(resolved),
        count().filter(Ticket.status == "cancelled"),
        count().filter(Ticket.transfer_count > 0),
        count().filter(RESPONDED),
        count().filter(SLA_MET),
        count().filter(SLA_COUNTED),
        sa.func.avg(sa.cast(Ticket.satisfaction, sa.Float)),
        count(Ticket.satisfaction),
        count().filter(REOPENED),
    ]
    fractions = sa.literal([0.5, 0.9], ARRAY(sa.Float))
    for measure in (wait_b, wait_c, handle, resolution):
        # one sort per measure gives both percentiles
        columns += [
            sa.func.percentile_cont(fractions, type_=ARRAY(sa.Float)).within_group(measure),
            sa.func.avg(measure),
        ]
    key = key_column if key_column is not None else sa.literal("all")
    stmt = base_select(user, scope, key, *columns).where(*clauses)
    if key_column is not None:
        stmt = stmt.group_by(key_column)
    found: dict[Any, Figures] = {}
    for row in session.execute(stmt):
        k, created, res, canc, trans, resp, met, counted, sat_avg, sat_count, reopened = row[:11]
        measures = row[11:]
        fig = Figures(str(k), "", created, res, canc, trans, resp, reopened=reopened)
        times: list[float | None] = []
        for pair, mean in zip(measures[::2], measures[1::2], strict=True):
            times += [*(_r3(p) for p in (pair or (None, None))), _r3(mean)]
        _set_times(fig, times)
        _set_sla_and_satisfaction(fig, met, counted, sat_avg, sat_count)
        found[k] = fig
    return found


def _figures_python(
    session: Session, user: User, scope: Scope, key_column: Any, clauses: list[Any]
) -> dict[Any, Figures]:
    key = key_column if key_column is not None else sa.literal("all")
    stmt = base_select(
        user,
        scope,
        key,
        Ticket.status,
        Ticket.created_at,
        Ticket.first_response_at,
        Ticket.resolved_at,
        Ticket.wait_seconds,
        Ticket.wait_business_seconds,
        Queue.sla_seconds,
        Ticket.sla_breached_at,
        Ticket.transfer_count,
        Ticket.satisfaction,
        REOPENED,
    ).where(*clauses)
    groups: dict[Any, list[Measure]] = defaultdict(list)
    for row in session.execute(stmt):
        groups[row[0]].append(tuple(row))  # type: ignore[arg-type]
    return {k: aggregate(str(k), rows) for k, rows in groups.items()}


def aggregate(key: str, rows: Iterable[Measure]) -> Figures:
    """The figures of measure rows (key, status, created_at, first_response_at, resolved_at,
    wait_seconds, wait_business_seconds, sla_seconds, sla_breached_at, transfer_count,
    satisfaction, reopened), computed in Python exactly as the SQL does."""
    fig = Figures(key, "")
    wait_b: list[float] = []
    wait_c: list[float] = []
    handle: list[float] = []
    resolution: list[float] = []
    met = counted = 0
    ratings: list[int] = []
    for row in rows:
        _, status, created, first, resolved_at, wait_s, wait_bs, sla, breached, moves = row[:10]
        sat, again = row[10:]
        fig.created += 1
        fig.reopened += bool(again)
        fig.resolved += status == "resolved"
        fig.cancelled += status == "cancelled"
        fig.transferred += moves > 0
        if first is not None:
            fig.responded += 1
            counted += 1
            if wait_bs is not None:
                wait_b.append(float(wait_bs))
                met += wait_bs <= sla
            if wait_s is not None:
                wait_c.append(float(wait_s))
        elif breached is not None:
            counted += 1
        if status == "resolved" and resolved_at is not None:
            resolution.append((resolved_at - created).total_seconds())
            if first is not None:
                handle.append((resolved_at - first).total_seconds())
        if sat is not None:
            ratings.append(sat)
    times: list[float | None] = []
    for samples in (wait_b, wait_c, handle, resolution):
        samples.sort()
        mean = sum(samples) / len(samples) if samples else None
        times += [percentile(samples, 0.5), percentile(samples, 0.9), _r3(mean)]
    _set_times(fig, times)
    avg = sum(ratings) / len(ratings) if ratings else None
    _set_sla_and_satisfaction(fig, met, counted, avg, len(ratings))
    return fig


def _set_times(fig: Figures, times: Sequence[float | None]) -> None:
    (
        fig.wait_business_p50,
        fig.wait_business_p90,
        fig.wait_business_avg,
        fig.wait_calendar_p50,
        fig.wait_calendar_p90,
        fig.wait_calendar_avg,
        fig.handle_p50,
        fig.handle_p90,
        fig.handle_avg,
        fig.resolution_p50,
        fig.resolution_p90,
        fig.resolution_avg,
    ) = times


def _set_sla_and_satisfaction(
    fig: Figures, met: int, counted: int, sat_avg: Any, sat_count: int
) -> None:
    fig.sla_met, fig.sla_counted = met, counted
    fig.sla_attainment = round(met / counted, 4) if counted else None
    fig.satisfaction_avg = round(float(sat_avg), 2) if sat_avg is not None else None
    fig.satisfaction_count = sat_count


def _r3(value: Any) -> float | None:
    return round(float(value), 3) if value is not None else None


def _label(
    session: Session, user: User, scope: Scope, by: str, found: dict[Any, Figures]
) -> list[Figures]:
    """Names, SLA targets, and zero rows for queues/agents without tickets in the range."""
    if by == "all":
        fig = found.get("all") or Figures("all", ALL_LABEL)
        fig.key, fig.label = "all", ALL_LABEL
        return [fig]
    if by == "queue":
        stmt = sa.select(Queue).where(
            sa.or_(sa.and_(Queue.is_active, visible_queues_clause(user)), Queue.id.in_(found))
        )
        if scope.queue_id is not None:
            stmt = stmt.where(Queue.id == scope.queue_id)
        rows = []
        for queue in session.scalars(stmt.order_by(Queue.code)):
            fig = found.get(queue.id) or Figures(queue.code, "")
            fig.key, fig.label, fig.sla_seconds = queue.code, queue.name_id, queue.sla_seconds
            rows.append(fig)
        return rows
    # agents: everyone who held a ticket in range, and the members of the visible queues
    members = sa.select(queue_member.c.user_id)
    if scope.queue_id is not None:
        members = members.where(queue_member.c.queue_id == scope.queue_id)
    stmt = sa.select(User).where(
        sa.or_(
            User.id.in_(found), sa.and_(User.is_active, User.role == "agent", User.id.in_(members))
        )
    )
    if not user.sees_all_queues:
        stmt = stmt.where(User.id == user.id)
    if scope.agent_id is not None:
        stmt = stmt.where(User.id == scope.agent_id)
    agents = []
    for agent in session.scalars(stmt.order_by(User.email)):
        fig = found.get(agent.id) or Figures(agent.email, "")
        fig.key, fig.label = agent.email, agent.display_name
        agents.append(fig)
    return agents
