"""SLA alerts (issue 17): a ticket crossing 80 % and 100 % of its queue's targets.

Targets, in business time (the office's calendar): first response (`Queue.sla_seconds`) and
resolution (`Queue.resolution_seconds`, none when unset), both counted from `created_at` like
`Ticket.wait_business_seconds`. A queue carrying a service standard (`Queue.sla_template`,
catalog/sla_templates.py) has both targets in working days instead: the target of a ticket is
then the open time between its arrival and the closing of the N-th working day after it
(hours/working_days.py), so 80 % and 100 % are still fractions of business time.

Which tickets: waiting or held (`waiting`, `assigned`); for the first-response target only
those nobody has answered yet. A level is crossed when the business time waited reaches it.

`record_alerts` (the beat task `dashboard.record_sla_alerts`, every minute) inserts one
`sla_alert` row per ticket, kind and level with `ON CONFLICT DO NOTHING` on the unique
constraint: two beats at once, or a run repeated, write each alert once. The board reads the
unacknowledged alerts of tickets that still wait for that target, filtered by
`visibility_clause(user)` like every ticket a supervisor sees; acknowledging is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.audit.operations import record as audit
from pandawa.catalog.sla_templates import SLA_TEMPLATES
from pandawa.core.clock import as_utc
from pandawa.hours.calendar import CalendarError, OfficeCalendar
from pandawa.hours.queries import calendars_for_offices
from pandawa.hours.working_days import working_day_deadline
from pandawa.reports.models import SlaAlert
from pandawa.reports.sla_notices import queue_notices
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.queries import visibility_clause

log = logging.getLogger(__name__)

KINDS = ("first_response", "resolution")
LEVELS = (80, 100)
ALERT_STATUSES = ("waiting", "assigned")
BOARD_LIMIT = 200


@dataclass(frozen=True)
class Targets:
    """A ticket's targets in business seconds (None: the queue sets none)."""

    first_response: int | None
    resolution: int | None

    def of(self, kind: str) -> int | None:
        return self.first_response if kind == "first_response" else self.resolution


def ticket_targets(queue: Queue, calendar: OfficeCalendar, created_at: datetime) -> Targets:
    template = SLA_TEMPLATES.get(queue.sla_template or "")
    if template is None:
        return Targets(queue.sla_seconds, queue.resolution_seconds)

    def within(days: int) -> int:
        deadline = working_day_deadline(calendar, created_at, days)
        return max(1, calendar.business_seconds(created_at, deadline))

    return Targets(within(template.first_response_days), within(template.resolution_days))


def crossed_levels(waited: int, target: int | None) -> list[int]:
    """The levels (80, 100) that `waited` business seconds have reached of `target`."""
    if not target:
        return []
    return [level for level in LEVELS if waited * 100 >= target * level]


# -- the beat ------------------------------------------------------------------------------------
def _candidates(session: Session, queues: dict[int, Queue], at: datetime) -> sa.Select | None:
    """Waiting or held tickets that may have crossed a level and lack one of their alerts.

    Business time never exceeds calendar time: a ticket of a minute-target queue younger than
    80 % of its smallest target cannot have crossed anything yet (the template queues, where
    the target depends on the day, are all looked at)."""
    # the ticket's alerts at the last level (at most one per kind)
    complete = (
        sa.select(sa.func.count(SlaAlert.id))
        .where(SlaAlert.ticket_id == Ticket.id, SlaAlert.level == LEVELS[-1])
        .correlate(Ticket)
        .scalar_subquery()
    )
    clauses = []
    for q in queues.values():
        if q.sla_template in SLA_TEMPLATES:
            clauses.append(sa.and_(Ticket.queue_id == q.id, complete < len(KINDS)))
            continue
        smallest = min(t for t in (q.sla_seconds, q.resolution_seconds) if t)
        cutoff = at - timedelta(seconds=smallest * LEVELS[0] / 100)
        clause = sa.and_(Ticket.queue_id == q.id, Ticket.created_at <= cutoff)
        if q.resolution_seconds:
            clauses.append(sa.and_(clause, complete < len(KINDS)))
        else:  # the first response is the only target: answered tickets are done with
            clauses.append(sa.and_(clause, Ticket.first_response_at.is_(None), complete < 1))
    if not clauses:
        return None
    return (
        sa.select(
            Ticket.id,
            Ticket.queue_id,
            Ticket.office_id,
            Ticket.created_at,
            Ticket.first_response_at,
        )
        .where(Ticket.status.in_(ALERT_STATUSES), sa.or_(*clauses))
        .order_by(Ticket.id)
    )


def record_alerts(session: Session, at: datetime) -> list[int]:
    """Insert the alerts due at `at`; flushes, never commits. Returns the new alerts' ids."""
    queues = {q.id: q for q in session.scalars(sa.select(Queue).where(Queue.is_active.is_(True)))}
    stmt = _candidates(session, queues, at)
    if stmt is None:
        return []
    rows = session.execute(stmt).all()
    if not rows:
        return []
    have = {
        (ticket_id, kind, level)
        for ticket_id, kind, level in session.execute(
            sa.select(SlaAlert.ticket_id, SlaAlert.kind, SlaAlert.level).where(
                SlaAlert.ticket_id.in_([row.id for row in rows])
            )
        )
    }
    calendars = calendars_for_offices(session)
    due: list[dict] = []
    for ticket_id, queue_id, office_id, created_at, first_response_at in rows:
        calendar = calendars.get(office_id)
        if calendar is None:  # an inactive office: no calendar to count by
            continue
        created_at = as_utc(created_at)
        try:
            targets = ticket_targets(queues[queue_id], calendar, created_at)
        except CalendarError:
            log.warning("sla alerts: no working days for ticket %s", ticket_id)
            continue
        waited = calendar.business_seconds(created_at, at)
        for kind in KINDS:
            if kind == "first_response" and first_response_at is not None:
                continue
            target = targets.of(kind)
            for level in crossed_levels(waited, target):
                if (ticket_id, kind, level) in have:
                    continue
                due.append(
                    {
                        "ticket_id": ticket_id,
                        "queue_id": queue_id,
                        "office_id": office_id,
                        "kind": kind,
                        "level": level,
                        "crossed_at": at,
                        "target_seconds": target,
                        "waited_seconds": waited,
                    }
                )
    if not due:
        return []
    ids = list(session.scalars(_insert_new(session, due)))
    session.flush()
    queue_notices(session, ids, at)  # e-mail, when SLA_ALERT_EMAIL_SMTP_URL is set
    return ids


def _insert_new(session: Session, rows: list[dict]) -> sa.Executable:
    # the embedded stack runs on SQLite, which has the same ON CONFLICT clause
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return (
        insert(SlaAlert)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["ticket_id", "kind", "level"])
        .returning(SlaAlert.id)
    )


# -- the board -----------------------------------------------------------------------------------
@dataclass
class AlertRow:
    id: int
    number: str
    queue_code: str
    queue_name: str
    kind: str
    level: int
    waited_seconds: int  # business time waited now
    target_seconds: int
    crossed_at: datetime


def active_alerts(
    session: Session, user: User, at: datetime, *, language: str = "id"
) -> list[AlertRow]:
    """Unacknowledged alerts `user` may see whose ticket still waits for that target, the
    highest level per ticket and kind, newest first (two queries and the calendars)."""
    stmt = (
        sa.select(SlaAlert, Ticket.number, Ticket.created_at, Ticket.office_id, Queue)
        .join(Ticket, Ticket.id == SlaAlert.ticket_id)
        .join(Queue, Queue.id == SlaAlert.queue_id)
        .where(
            SlaAlert.acknowledged_at.is_(None),
            Ticket.status.in_(ALERT_STATUSES),
            sa.or_(SlaAlert.kind == "resolution", Ticket.first_response_at.is_(None)),
            visibility_clause(user),
        )
        .order_by(SlaAlert.crossed_at.desc(), SlaAlert.id.desc())
        .limit(BOARD_LIMIT)
    )
    rows = session.execute(stmt).all()
    if not rows:
        return []
    calendars = calendars_for_offices(session)
    best: dict[tuple[int, str], AlertRow] = {}
    for alert, number, created_at, office_id, queue in rows:
        key = (alert.ticket_id, alert.kind)
        if key in best and best[key].level >= alert.level:
            continue
        calendar = calendars.get(office_id)
        waited = (
            calendar.business_seconds(as_utc(created_at), at)
            if calendar is not None
            else alert.waited_seconds
        )
        best[key] = AlertRow(
            id=alert.id,
            number=number,
            queue_code=queue.code,
            queue_name=queue.name(language),
            kind=alert.kind,
            level=alert.level,
            waited_seconds=waited,
            target_seconds=alert.target_seconds,
            crossed_at=as_utc(alert.crossed_at),
        )
    return sorted(best.values(), key=lambda r: (r.level, r.crossed_at, r.id), reverse=True)


def acknowledge(
    session: Session, alert_id: int, user: User, at: datetime, *, address: str = ""
) -> SlaAlert | None:
    """Acknowledge an alert `user` may see, and the lower levels of the same ticket and kind;
    audited. None when absent or out of sight; flushes, the caller commits."""
    row = session.execute(
        sa.select(SlaAlert, Ticket.number)
        .join(Ticket, Ticket.id == SlaAlert.ticket_id)
        .where(SlaAlert.id == alert_id, visibility_clause(user))
        .with_for_update(of=SlaAlert)
    ).one_or_none()
    if row is None:
        return None
    alert, number = row
    if alert.acknowledged_at is not None:
        return alert
    session.execute(
        sa.update(SlaAlert)
        .where(
            SlaAlert.ticket_id == alert.ticket_id,
            SlaAlert.kind == alert.kind,
            SlaAlert.level <= alert.level,
            SlaAlert.acknowledged_at.is_(None),
        )
        .values(acknowledged_at=at, acknowledged_by_id=user.id)
        .execution_options(synchronize_session="fetch")
    )
    audit(
        session,
        "sla_alert_acknowledged",
        actor_id=user.id,
        actor_label=user.email,
        ticket_number=number,
        address=address,
        details={"alert_id": alert.id, "kind": alert.kind, "level": alert.level},
    )
    session.flush()
    return alert


# -- the figures' history ------------------------------------------------------------------------
@dataclass
class QueueAlertCount:
    queue_code: str
    queue_name: str
    level_80: int
    level_100: int


def alert_counts(
    session: Session, user: User, start: datetime, end: datetime, *, language: str = "id"
) -> list[QueueAlertCount]:
    """Per queue, the 80 % and 100 % alerts crossed in [start, end) on tickets `user` sees."""

    def count(level: int) -> sa.ColumnElement[int]:
        return sa.func.count(SlaAlert.id).filter(SlaAlert.level == level)

    stmt = (
        sa.select(Queue, count(80), count(100))
        .join(SlaAlert, SlaAlert.queue_id == Queue.id)
        .join(Ticket, Ticket.id == SlaAlert.ticket_id)
        .where(SlaAlert.crossed_at >= start, SlaAlert.crossed_at < end, visibility_clause(user))
        .group_by(Queue.id)
        .order_by(Queue.code)
    )
    return [
        QueueAlertCount(q.code, q.name(language), c80, c100)
        for q, c80, c100 in session.execute(stmt)
    ]


@dataclass
class HistoryRow:
    number: str
    queue_code: str
    kind: str
    level: int
    crossed_at: datetime
    waited_seconds: int
    target_seconds: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None


def alert_history(
    session: Session,
    user: User,
    start: datetime,
    end: datetime,
    *,
    queue_code: str | None = None,
    level: int | None = None,
    limit: int = 500,
) -> list[HistoryRow]:
    """The alerts behind the counts (the drill-down), newest first."""
    stmt = (
        sa.select(SlaAlert, Ticket.number, Queue.code, User.email)
        .join(Ticket, Ticket.id == SlaAlert.ticket_id)
        .join(Queue, Queue.id == SlaAlert.queue_id)
        .outerjoin(User, User.id == SlaAlert.acknowledged_by_id)
        .where(SlaAlert.crossed_at >= start, SlaAlert.crossed_at < end, visibility_clause(user))
        .order_by(SlaAlert.crossed_at.desc(), SlaAlert.id.desc())
        .limit(limit)
    )
    if queue_code:
        stmt = stmt.where(Queue.code == queue_code)
    if level in LEVELS:
        stmt = stmt.where(SlaAlert.level == level)
    return [
        HistoryRow(
            number=number,
            queue_code=code,
            kind=alert.kind,
            level=alert.level,
            crossed_at=as_utc(alert.crossed_at),
            waited_seconds=alert.waited_seconds,
            target_seconds=alert.target_seconds,
            acknowledged_at=as_utc(alert.acknowledged_at),
            acknowledged_by=email,
        )
        for alert, number, code, email in session.execute(stmt)
    ]


def ids_of(alerts: Iterable[AlertRow]) -> str:
    """The alerts' ids as the board's script compares them ("12 15 19")."""
    return " ".join(str(a.id) for a in sorted(alerts, key=lambda a: a.id))
