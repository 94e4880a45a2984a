"""The series behind the figures page's charts, over the tickets CREATED in a scope and
visible to the user: volume by local hour and weekday, waits by bucket, SLA per local day,
and carry-over per office and service. One SQL query each, on PostgreSQL and SQLite alike;
definitions as in `pandawa.reports.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.hours.models import Office
from pandawa.reports.figures import (
    BUCKETS,
    SLA_COUNTED,
    SLA_MET,
    bucket_clause,
    carried_over_clause,
    service_expr,
)
from pandawa.reports.scope import LocalTime, Scope, base_select
from pandawa.tickets.models import Ticket


@dataclass
class Bucket:
    key: str
    label: str
    lower: int
    upper: int | None
    count: int = 0


@dataclass
class DayPoint:
    day: date
    created: int
    met: int
    counted: int
    attainment: float | None


@dataclass
class CarryRow:
    office_code: str
    office_name: str
    service: str
    created: int
    carried_over: int
    share: float | None
    reopen_sent: int
    reopen_answered: int


def volume_by_hour(session: Session, user: User, scope: Scope) -> list[int]:
    """Tickets created per local hour of day (scope.timezone), 24 counts from 00:00."""
    return _counts_by(session, user, scope, LocalTime(session).hour, 24)


def volume_by_weekday(session: Session, user: User, scope: Scope) -> list[int]:
    """Tickets created per local weekday, Monday first."""
    return _counts_by(session, user, scope, LocalTime(session).weekday, 7)


def _counts_by(session: Session, user: User, scope: Scope, part: Any, size: int) -> list[int]:
    """Tickets created per value 0..size-1 of `part` (a LocalTime method) of created_at."""
    value = part(Ticket.created_at, scope.timezone)
    counts = [0] * size
    for key, n in session.execute(base_select(user, scope, value, sa.func.count()).group_by(value)):
        counts[int(key)] = n
    return counts


def wait_distribution(session: Session, user: User, scope: Scope) -> list[Bucket]:
    """Answered tickets by business wait to first response, in BUCKETS."""
    columns = [sa.func.count().filter(bucket_clause(lo, hi)) for _, _, lo, hi in BUCKETS]
    counts = session.execute(base_select(user, scope, *columns)).one()
    return [
        Bucket(key, label, lo, hi, n)
        for (key, label, lo, hi), n in zip(BUCKETS, counts, strict=True)
    ]


def sla_by_day(session: Session, user: User, scope: Scope) -> list[DayPoint]:
    """Created, SLA met and counted per local day of creation; every day of the scope."""
    lt = LocalTime(session)
    day = lt.day(Ticket.created_at, scope.timezone)
    stmt = base_select(
        user,
        scope,
        day,
        sa.func.count(),
        sa.func.count().filter(SLA_MET),
        sa.func.count().filter(SLA_COUNTED),
    ).group_by(day)
    found = {}
    for d, created, met, counted in session.execute(stmt):
        found[d if isinstance(d, date) else date.fromisoformat(d)] = (created, met, counted)
    points = []
    for d in scope.days():
        created, met, counted = found.get(d, (0, 0, 0))
        points.append(
            DayPoint(d, created, met, counted, round(met / counted, 4) if counted else None)
        )
    return points


def carryover(session: Session, user: User, scope: Scope) -> list[CarryRow]:
    """Per office and service: created, carried over to a later day, reopening templates."""
    service = service_expr()
    stmt = (
        base_select(
            user,
            scope,
            Office.code,
            Office.name,
            service,
            sa.func.count(),
            sa.func.count().filter(carried_over_clause(session)),
            sa.func.coalesce(sa.func.sum(Ticket.reopen_templates_sent), 0),
            sa.func.coalesce(sa.func.sum(Ticket.reopen_templates_answered), 0),
        )
        .join(Office, Office.id == Ticket.office_id)
        .group_by(Office.code, Office.name, service)
        .order_by(Office.code, service)
    )
    return [
        CarryRow(
            code,
            name,
            svc,
            created,
            carried,
            round(carried / created, 4) if created else None,
            int(sent),
            int(answered),
        )
        for code, name, svc, created, carried, sent, answered in session.execute(stmt)
    ]
