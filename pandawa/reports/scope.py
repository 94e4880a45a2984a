"""What a dashboard page is about: a range of local dates, and optionally one office, queue or
agent. Parsed once from the query string and passed to every figure, chart and export.

Days are the agency's local days (the first office's zone), so "1 December" means what a
supervisor in that office means by it; inside, the range is a half-open UTC interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.core.clock import now
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.queries import visibility_clause, visible_offices_clause

DEFAULT_TIMEZONE = "Asia/Jakarta"
DEFAULT_DAYS = 30
MAX_DAYS = 366


class ScopeError(ValueError):
    """Bad dashboard input; the message is bilingual ("Indonesian / English")."""


class ScopeNotFound(ScopeError):
    """An office that does not exist or is outside the user's sight (issue 17's scopes): the
    pages answer 404, the same for both, so `?office=` never widens what a user sees."""


@dataclass(frozen=True)
class Scope:
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive
    timezone: str
    first_day: date
    last_day: date
    office_id: int | None = None
    queue_id: int | None = None
    agent_id: int | None = None
    # the codes as given, so links and exports carry the same filters back
    office_code: str | None = None
    queue_code: str | None = None
    agent_key: str | None = None

    def query_args(self) -> dict[str, str]:
        args = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        if self.office_code:
            args["office"] = self.office_code
        if self.queue_code:
            args["queue"] = self.queue_code
        if self.agent_key:
            args["agent"] = self.agent_key
        return args

    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(count)]


def agency_timezone(session: Session) -> str:
    """The zone of the first office (by id): the agency's days and hours; else Jakarta."""
    zone = session.scalar(sa.select(Office.timezone).order_by(Office.id).limit(1))
    return zone or DEFAULT_TIMEZONE


def scope_for_days(first_day: date, last_day: date, timezone: str, **filters: object) -> Scope:
    """A Scope over local dates [first_day, last_day] in `timezone` (both inclusive)."""
    zone = ZoneInfo(timezone)
    return Scope(
        start=datetime.combine(first_day, time(), zone).astimezone(UTC),
        end=datetime.combine(last_day + timedelta(days=1), time(), zone).astimezone(UTC),
        timezone=timezone,
        first_day=first_day,
        last_day=last_day,
        **filters,  # type: ignore[arg-type]
    )


def scope_from_args(session: Session, user: User, args: Mapping[str, str]) -> Scope:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD&office=<code>&queue=<code>&agent=<email or id>.

    Default: the 30 local days ending today (by the clock). An agent may only look at
    themselves: `agent` naming someone else is refused (supervisors and admins: anyone).
    """
    timezone = agency_timezone(session)
    today = now().astimezone(ZoneInfo(timezone)).date()
    last = _date(args, "to") or today
    first = _date(args, "from") or (last - timedelta(days=DEFAULT_DAYS - 1))
    if last < first:
        raise ScopeError(
            "Tanggal akhir sebelum tanggal awal. / The end date is before the start date."
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise ScopeError(
            f"Rentang paling panjang {MAX_DAYS} hari. / The range is at most {MAX_DAYS} days."
        )
    filters: dict[str, object] = {}
    for model, key, words, sight in (
        (Office, "office", ("Kantor", "office"), visible_offices_clause(user)),
        (Queue, "queue", ("Antrean", "queue"), None),
    ):
        code = (args.get(key) or "").strip()
        if code:
            stmt = sa.select(model.id).where(model.code == code)
            found = session.scalar(stmt if sight is None else stmt.where(sight))
            if found is None:
                error = ScopeNotFound if model is Office else ScopeError
                raise error(f"{words[0]} {code!r} tidak dikenal. / Unknown {words[1]} {code!r}.")
            filters.update({f"{key}_id": found, f"{key}_code": code})
    agent_key = (args.get("agent") or "").strip()
    if agent_key:
        column = User.id if agent_key.isdigit() else sa.func.lower(User.email)
        value: object = int(agent_key) if agent_key.isdigit() else agent_key.lower()
        agent_id = session.scalar(sa.select(User.id).where(column == value))
        if agent_id is None or (not user.sees_all_queues and agent_id != user.id):
            raise ScopeError(f"Petugas {agent_key!r} tidak dikenal. / Unknown agent {agent_key!r}.")
        filters.update(agent_id=agent_id, agent_key=agent_key)
    return scope_for_days(first, last, timezone, **filters)


def _date(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ScopeError(
            f"Tanggal {name}={raw!r} tidak valid (format TTTT-BB-HH). / "
            f"Invalid date {name}={raw!r} (expected YYYY-MM-DD)."
        ) from None


# -- SQL over a scope (figures and the drill-down share these) -------------------------------
def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def scope_clauses(user: User, scope: Scope) -> list[sa.ColumnElement[bool]]:
    clauses = [
        Ticket.created_at >= scope.start,
        Ticket.created_at < scope.end,
        visibility_clause(user),
    ]
    if scope.office_id is not None:
        clauses.append(Ticket.office_id == scope.office_id)
    if scope.queue_id is not None:
        clauses.append(Ticket.queue_id == scope.queue_id)
    if scope.agent_id is not None:
        clauses.append(Ticket.assignee_id == scope.agent_id)
    return clauses


def base_select(user: User, scope: Scope, *columns: Any) -> sa.Select:
    """SELECT columns FROM ticket JOIN queue (the SLA target) WHERE in scope and visible."""
    return (
        sa.select(*columns)
        .select_from(Ticket)
        .join(Queue, Queue.id == Ticket.queue_id)
        .where(*scope_clauses(user, scope))
    )


class LocalTime:
    """Local wall-clock parts of a UTC column, in SQL: PostgreSQL converts with the zone
    (`timezone(zone, ts)`); SQLite shifts by the zone's fixed offset (Indonesia keeps none
    of daylight saving, and SQLite knows no zones)."""

    def __init__(self, session: Session) -> None:
        self.pg = is_postgresql(session)

    def local(self, column: Any, zone: Any) -> Any:
        if self.pg:
            return sa.func.timezone(zone, column)
        if isinstance(zone, str):
            return sa.func.datetime(column, _offset_modifier(zone))
        return sa.func.datetime(column, zone)  # zone is a CASE of modifiers (office_modifier)

    def hour(self, column: Any, zone: Any) -> sa.ColumnElement[int]:
        local = self.local(column, zone)
        if self.pg:
            return sa.cast(sa.extract("hour", local), sa.Integer)
        return sa.cast(sa.func.strftime("%H", local), sa.Integer)

    def weekday(self, column: Any, zone: Any) -> sa.ColumnElement[int]:
        """0 = Monday … 6 = Sunday."""
        local = self.local(column, zone)
        if self.pg:
            return sa.cast(sa.extract("isodow", local), sa.Integer) - 1
        return (sa.cast(sa.func.strftime("%w", local), sa.Integer) + 6) % 7

    def day(self, column: Any, zone: Any) -> Any:
        local = self.local(column, zone)
        return sa.cast(local, sa.Date) if self.pg else sa.func.date(local)

    def day_value(self, day: date) -> Any:
        return day if self.pg else day.isoformat()


def _offset_modifier(zone: str) -> str:
    from zoneinfo import ZoneInfo

    offset = ZoneInfo(zone).utcoffset(datetime(2026, 1, 1)) or timedelta()
    return f"{int(offset.total_seconds()):+d} seconds"


def office_zone(session: Session) -> Any:
    """The zone argument for per-office local dates: the office's column on PostgreSQL, a
    CASE of offset modifiers on SQLite."""
    if is_postgresql(session):
        return Office.timezone
    zones = sorted(set(session.scalars(sa.select(Office.timezone))))
    if not zones:
        return sa.literal("+0 seconds")  # an expression: a plain str would be read as a zone
    return sa.case(
        {z: _offset_modifier(z) for z in zones}, value=Office.timezone, else_="+0 seconds"
    )
