"""The tickets behind a figure: every chart bar and figure links here with its filters.

The filters are the figures' own SQL expressions (pandawa.reports.figures), so the list of
"tickets that waited more than 30 minutes" is exactly the tickets the figure counted. Pages
are keyset-paged on (created_at, id), which walks ix_ticket_created_at in order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User, display_name
from pandawa.citizens.models import Contact
from pandawa.core.sqltypes import UTCDateTime
from pandawa.hours.models import Office
from pandawa.reports.figures import (
    BUCKETS,
    RESPONDED,
    SLA_MET,
    SLA_MISSED,
    bucket_clause,
    carried_over_clause,
    service_expr,
)
from pandawa.reports.scope import LocalTime, Scope, ScopeError, base_select
from pandawa.tickets.models import TICKET_STATUSES, Queue, Ticket

MAX_LIMIT = 200
_EXPORT_PAGE = 1000
_TRUE = ("1", "true", "yes", "ya")
_FALSE = ("0", "false", "no", "tidak")


@dataclass(frozen=True)
class Drill:
    status: str | None = None
    waited_over: int | None = None
    wait_bucket: str | None = None
    sla: str | None = None
    hour: int | None = None
    weekday: int | None = None
    day: date | None = None
    carried_over: bool | None = None
    service: str | None = None
    reopen: str | None = None
    transferred: bool | None = None

    def query_args(self) -> dict[str, str]:
        args = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, bool):
                args[item.name] = "1" if value else "0"
            elif isinstance(value, date):
                args[item.name] = value.isoformat()
            else:
                args[item.name] = str(value)
        return args

    def is_empty(self) -> bool:
        return not self.query_args()


def _bad(name: str, raw: str, expected: str, expected_en: str) -> ScopeError:
    return ScopeError(
        f"Filter {name}={raw!r} tidak valid; {expected}. / "
        f"Invalid filter {name}={raw!r}; expected {expected_en}."
    )


def drill_from_args(args: Mapping[str, str]) -> Drill:
    """A Drill from query args of the same names; ScopeError on a bad value."""
    values: dict[str, object] = {}

    def raw(name: str) -> str | None:
        value = (args.get(name) or "").strip()
        return value or None

    def integer(name: str, low: int, high: int | None) -> None:
        value = raw(name)
        if value is None:
            return
        if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
            upper = str(high) if high is not None else "…"
            raise _bad(name, value, f"bilangan {low}–{upper}", f"a number {low}–{upper}")
        values[name] = int(value)

    def choice(name: str, options: tuple[str, ...]) -> None:
        value = raw(name)
        if value is None:
            return
        if value not in options:
            listed = ", ".join(options)
            raise _bad(name, value, f"salah satu dari {listed}", f"one of {listed}")
        values[name] = value

    def boolean(name: str) -> None:
        value = raw(name)
        if value is None:
            return
        if value.lower() not in _TRUE + _FALSE:
            raise _bad(name, value, "1 atau 0", "1 or 0")
        values[name] = value.lower() in _TRUE

    choice("status", TICKET_STATUSES)
    integer("waited_over", 0, None)
    choice("wait_bucket", tuple(key for key, *_ in BUCKETS))
    choice("sla", ("met", "missed"))
    integer("hour", 0, 23)
    integer("weekday", 0, 6)
    day = raw("day")
    if day is not None:
        try:
            values["day"] = date.fromisoformat(day)
        except ValueError:
            raise _bad("day", day, "tanggal TTTT-BB-HH", "a date YYYY-MM-DD") from None
    boolean("carried_over")
    if raw("service") is not None:
        values["service"] = raw("service")
    choice("reopen", ("sent", "answered"))
    boolean("transferred")
    return Drill(**values)  # type: ignore[arg-type]


def drill_clauses(session: Session, scope: Scope, drill: Drill) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses of the drill (Queue and Office joined)."""
    lt = LocalTime(session)
    clauses: list[sa.ColumnElement[bool]] = []
    if drill.status is not None:
        clauses.append(Ticket.status == drill.status)
    if drill.waited_over is not None:
        n = drill.waited_over
        # an unanswered ticket's business wait is only known to exceed its queue's target once
        # breached; it counts as "over n" when that target is at least n
        clauses.append(
            sa.or_(
                sa.and_(RESPONDED, Ticket.wait_business_seconds > n),
                sa.and_(
                    Ticket.first_response_at.is_(None),
                    Ticket.sla_breached_at.is_not(None),
                    Queue.sla_seconds >= n,
                ),
            )
        )
    if drill.wait_bucket is not None:
        _, _, lower, upper = next(b for b in BUCKETS if b[0] == drill.wait_bucket)
        clauses.append(bucket_clause(lower, upper))
    if drill.sla is not None:
        clauses.append(SLA_MET if drill.sla == "met" else SLA_MISSED)
    if drill.hour is not None:
        clauses.append(lt.hour(Ticket.created_at, scope.timezone) == drill.hour)
    if drill.weekday is not None:
        clauses.append(lt.weekday(Ticket.created_at, scope.timezone) == drill.weekday)
    if drill.day is not None:
        clauses.append(lt.day(Ticket.created_at, scope.timezone) == lt.day_value(drill.day))
    if drill.carried_over is not None:
        carried = carried_over_clause(session)
        clauses.append(carried if drill.carried_over else sa.not_(carried))
    if drill.service is not None:
        clauses.append(service_expr() == drill.service)
    if drill.reopen == "sent":
        clauses.append(Ticket.reopen_templates_sent > 0)
    elif drill.reopen == "answered":
        clauses.append(Ticket.reopen_templates_answered > 0)
    if drill.transferred is not None:
        clauses.append(
            Ticket.transfer_count > 0 if drill.transferred else Ticket.transfer_count == 0
        )
    return clauses


@dataclass
class TicketRow:
    number: str
    office_code: str
    queue_code: str
    agent_email: str | None
    agent_name: str | None  # the display name (the e-mail's local part when unnamed)
    service: str
    status: str
    created_at: datetime
    released_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    wait_seconds: int | None
    wait_business_seconds: int | None
    handle_seconds: int | None
    sla_met: bool | None  # None: not counted (unanswered, not breached)
    satisfaction: int | None
    contact_name: str | None
    contact_address: str


def _cursor(created_at: datetime, ticket_id: int) -> str:
    raw = f"{created_at.isoformat()}|{ticket_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, ticket_id = raw.split("|")
        created_at = datetime.fromisoformat(at)
        if created_at.tzinfo is None or not ticket_id.isdigit():
            raise ValueError(raw)
        return created_at, int(ticket_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ScopeError("Kursor tidak valid. / Invalid cursor.") from None


def _row_columns() -> list:
    t = Ticket
    return [
        *(t.id, t.number, t.status, t.created_at, t.released_at, t.first_response_at),
        *(t.resolved_at, t.wait_seconds, t.wait_business_seconds, t.sla_breached_at),
        t.satisfaction,
        Office.code.label("office_code"),
        Queue.code.label("queue_code"),
        Queue.sla_seconds,
        User.email.label("agent_email"),
        User.name.label("agent_name"),
        service_expr().label("service"),
        Contact.name.label("contact_name"),
        Contact.address.label("contact_address"),
    ]


def _page(
    session: Session,
    user: User,
    scope: Scope,
    drill: Drill,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[tuple[int, TicketRow]]:
    stmt = (
        base_select(user, scope, *_row_columns())
        .join(Office, Office.id == Ticket.office_id)
        .join(Contact, Contact.id == Ticket.contact_id)
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(*drill_clauses(session, scope, drill))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(
            sa.tuple_(Ticket.created_at, Ticket.id)
            > sa.tuple_(sa.literal(after[0], UTCDateTime()), sa.literal(after[1]))
        )
    return [(row["id"], _row(row)) for row in session.execute(stmt).mappings()]


def _row(row: Mapping) -> TicketRow:
    first, resolved_at = row["first_response_at"], row["resolved_at"]
    handle = None
    if row["status"] == "resolved" and first is not None and resolved_at is not None:
        handle = int((resolved_at - first).total_seconds())
    if first is not None and row["wait_business_seconds"] is not None:
        sla_met: bool | None = row["wait_business_seconds"] <= row["sla_seconds"]
    else:
        sla_met = False if row["sla_breached_at"] is not None else None
    return TicketRow(
        number=row["number"],
        office_code=row["office_code"],
        queue_code=row["queue_code"],
        agent_email=row["agent_email"],
        agent_name=display_name(row["agent_name"], row["agent_email"])
        if row["agent_email"]
        else None,
        service=row["service"],
        status=row["status"],
        created_at=row["created_at"],
        released_at=row["released_at"],
        first_response_at=first,
        resolved_at=resolved_at,
        wait_seconds=row["wait_seconds"],
        wait_business_seconds=row["wait_business_seconds"],
        handle_seconds=handle,
        sla_met=sla_met,
        satisfaction=row["satisfaction"],
        contact_name=row["contact_name"],
        contact_address=row["contact_address"],
    )


def ticket_rows(
    session: Session,
    user: User,
    scope: Scope,
    drill: Drill,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[TicketRow], str | None]:
    """One page of the tickets behind a figure, oldest first, and the next page's cursor."""
    limit = max(1, min(limit, MAX_LIMIT))
    after = _decode_cursor(cursor) if cursor else None
    found = _page(session, user, scope, drill, after, limit + 1)
    next_cursor = None
    if len(found) > limit:
        found = found[:limit]
        last_id, last = found[-1]
        next_cursor = _cursor(last.created_at, last_id)
    return [row for _, row in found], next_cursor


def iter_ticket_rows(
    session: Session, user: User, scope: Scope, drill: Drill
) -> Iterator[TicketRow]:
    """Every ticket behind the figure, streamed page by page (for the CSV export)."""
    after = None
    while True:
        found = _page(session, user, scope, drill, after, _EXPORT_PAGE)
        for _, row in found:
            yield row
        if len(found) < _EXPORT_PAGE:
            return
        last_id, last = found[-1]
        after = (last.created_at, last_id)
