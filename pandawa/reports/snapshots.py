"""The figures page's numbers, computed once and kept: what makes a 30-day range cheap to show.

With a million tickets a 30-day range holds ~80,000, and the exact medians and 90th
percentiles of four times over them, per queue and per agent, cost PostgreSQL about two seconds
(ordered-set aggregates sort every group; see the README's dashboard figures). Supervisors look
at the same few ranges all day, so those are rolled up by the workers instead: the beat task
`dashboard.refresh_figures` recomputes the standard ranges (today, the last 7 and the last 30
days, for all offices and for each office) every two minutes and stores each as one JSON row;
the page reads that row. Any other range is computed on its first request and kept for a while.

The stored numbers are exactly what `figures.py` computes (the tests hold them to hand-computed
values); they are at most `FRESH_FOR` old and the page says when they were computed, and never
older than a transfer of one of their tickets (`note_moved`: the page, figures.csv and the
API read these rows, so a moved ticket must move on all of them at once). Snapshots
are shared by supervisors and admins (who see every queue); an agent's figures, over their own
queues only, are always computed on request. A supervisor bound to offices (issue 17) is
never served an agency-wide snapshot: bound to one office (or looking at one of hers), she
reads that office's snapshot, which the beat keeps too; bound to several, her figures are
computed for her set of offices on the first request and kept under a key naming them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from pandawa.core.clock import as_utc, now
from pandawa.hours.models import Office
from pandawa.reports import figures as fig
from pandawa.reports import series
from pandawa.reports.models import FiguresSnapshot
from pandawa.reports.scope import Scope, agency_timezone, scope_for_days
from pandawa.tickets.models import Ticket
from pandawa.tickets.queries import is_office_scoped, visible_offices_clause
from pandawa.tickets.signals import ticket_transferred

log = logging.getLogger(__name__)

# a range that includes today changes with every ticket: recomputed by the beat every two
# minutes, and computed on request when older than this
FRESH_FOR = timedelta(minutes=5)
# a range wholly in the past changes only with late ratings and the like
PAST_FRESH_FOR = timedelta(hours=1)
# the standard ranges the beat keeps ready, in local days ending today
STANDARD_DAYS = (1, 7, 30)


@dataclass
class FiguresPage:
    """Everything the figures page shows for one scope."""

    computed_at: datetime
    by_queue: list[fig.Figures]
    by_agent: list[fig.Figures]
    total: list[fig.Figures]
    hours: list[int]
    weekdays: list[int]
    buckets: list[series.Bucket]
    sla_days: list[series.DayPoint]
    carry: list[series.CarryRow]


@dataclass(frozen=True)
class AllQueues:
    """Who a shared snapshot is computed for: someone who sees every queue (no one's row)."""

    id: int = 0
    role: str = "supervisor"
    sees_all_queues: bool = True
    scopes: tuple = ()  # bound to no office: agency-wide


def compute(session: Session, user: Any, scope: Scope) -> FiguresPage:
    return FiguresPage(
        computed_at=now(),
        by_queue=fig.figures(session, user, scope, "queue"),
        by_agent=fig.figures(session, user, scope, "agent"),
        total=fig.figures(session, user, scope, "all"),
        hours=series.volume_by_hour(session, user, scope),
        weekdays=series.volume_by_weekday(session, user, scope),
        buckets=series.wait_distribution(session, user, scope),
        sla_days=series.sla_by_day(session, user, scope),
        carry=series.carryover(session, user, scope),
    )


def page_figures(session: Session, user: Any, scope: Scope) -> FiguresPage:
    """The scope's figures: a fresh enough snapshot when there is one (supervisors and
    admins), else computed now and, for them, stored for the next request. Flushes; the
    caller commits."""
    if not user.sees_all_queues:
        return compute(session, user, scope)
    key, who = snapshot_key(scope), AllQueues()
    if is_office_scoped(user):
        scope, key, who = _office_scoped(session, user, scope)
    row = session.get(FiguresSnapshot, key)
    at = now()
    if (
        row is not None
        and as_utc(row.computed_at) >= at - _fresh_for(scope, at)
        and not _moved_since(session, scope, as_utc(row.computed_at))
    ):
        return decode(row.payload)
    page = compute(session, who, scope)
    store(session, key, page)
    return page


def _office_scoped(session: Session, user: Any, scope: Scope) -> tuple[Scope, str, Any]:
    """(scope, key, whom to compute for) for a supervisor bound to offices: one office of hers
    is that office's shared snapshot (the same tickets); several are a snapshot of their own,
    keyed by the offices' ids, computed through her visibility."""
    offices = session.execute(
        sa.select(Office.id, Office.code).where(visible_offices_clause(user)).order_by(Office.id)
    ).all()
    if scope.office_id is None and len(offices) == 1:
        scope = dataclasses.replace(scope, office_id=offices[0][0], office_code=offices[0][1])
    if scope.office_id is not None and scope.office_id in {office_id for office_id, _ in offices}:
        return scope, snapshot_key(scope), AllQueues()
    ids = ",".join(str(office_id) for office_id, _ in offices)
    # a digest: the key column is short and a region may hold many offices
    digest = hashlib.sha256(ids.encode()).hexdigest()[:24]
    return scope, f"{snapshot_key(scope)}&offices={digest}", user


def refresh_standard(session: Session) -> int:
    """Recompute the standard ranges (all offices and each office); returns how many."""
    timezone = agency_timezone(session)
    today = now().astimezone(ZoneInfo(timezone)).date()
    offices = [None, *session.execute(sa.select(Office.id, Office.code).order_by(Office.id))]
    count = 0
    for days in STANDARD_DAYS:
        for office in offices:
            filters = {} if office is None else {"office_id": office[0], "office_code": office[1]}
            scope = scope_for_days(today - timedelta(days=days - 1), today, timezone, **filters)
            store(session, snapshot_key(scope), compute(session, AllQueues(), scope))
            count += 1
    return count


# the latest transfer of a ticket created on a UTC day: a row of the same table, "moved?day=…"
MOVED = "moved?day="


def note_moved(session: Session, ticket: Ticket, at: datetime) -> None:
    """Remember that a ticket created on its UTC day moved at `at`: a transfer takes it from
    one queue's row (and its agent's) to another's, and the page, the CSV and the API, which
    all read the kept range, must show it where it is now, not in five minutes.
    `page_figures` computes a kept range again when a ticket of its days moved since it was
    computed (also one the beat was computing meanwhile). A row of its own, never a kept
    range's: a transfer waits for no refresh in progress. Flushes."""
    day = as_utc(ticket.created_at).date().isoformat()
    _upsert(session, MOVED + day, at, {})


def _moved_since(session: Session, scope: Scope, computed_at: datetime) -> bool:
    """Whether a ticket created in the scope's UTC days moved at or after `computed_at`: one
    probe of the primary key's range (ISO days sort as text)."""
    latest = session.scalar(
        sa.select(FiguresSnapshot.computed_at)
        .where(
            FiguresSnapshot.key >= MOVED + scope.start.date().isoformat(),
            FiguresSnapshot.key <= MOVED + scope.end.date().isoformat(),
        )
        .order_by(FiguresSnapshot.computed_at.desc())
        .limit(1)
    )
    return latest is not None and as_utc(latest) >= computed_at


def _transferred(session: Session, *, ticket: Ticket, at: datetime, **_: Any) -> None:
    note_moved(session, ticket, at)


def init_app(app: Flask) -> None:
    """Connect the transfer receiver (`tickets.signals.ticket_transferred`, in the
    transfer's transaction)."""
    ticket_transferred.connect(_transferred)


def snapshot_key(scope: Scope) -> str:
    args = {**scope.query_args(), "tz": scope.timezone}
    return "figures?" + "&".join(f"{k}={args[k]}" for k in sorted(args))


def store(session: Session, key: str, page: FiguresPage) -> None:
    _upsert(session, key, page.computed_at, encode(page))


def _upsert(session: Session, key: str, computed_at: datetime, payload: dict) -> None:
    values = {"key": key, "computed_at": computed_at, "payload": payload}
    table = FiguresSnapshot.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"computed_at": stmt.excluded.computed_at, "payload": stmt.excluded.payload},
    )
    session.execute(stmt)


def _fresh_for(scope: Scope, at: datetime) -> timedelta:
    today = at.astimezone(ZoneInfo(scope.timezone)).date()
    return FRESH_FOR if scope.last_day >= today else PAST_FRESH_FOR


# --- JSON ------------------------------------------------------------------------------------


def encode(page: FiguresPage) -> dict:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, list):
            return [plain(v) for v in value]
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return value

    return plain(page)


def decode(payload: dict) -> FiguresPage:
    return FiguresPage(
        computed_at=datetime.fromisoformat(payload["computed_at"]),
        by_queue=[fig.Figures(**f) for f in payload["by_queue"]],
        by_agent=[fig.Figures(**f) for f in payload["by_agent"]],
        total=[fig.Figures(**f) for f in payload["total"]],
        hours=list(payload["hours"]),
        weekdays=list(payload["weekdays"]),
        buckets=[series.Bucket(**b) for b in payload["buckets"]],
        sla_days=[
            series.DayPoint(**{**d, "day": date.fromisoformat(d["day"])})
            for d in payload["sla_days"]
        ],
        carry=[series.CarryRow(**c) for c in payload["carry"]],
    )
