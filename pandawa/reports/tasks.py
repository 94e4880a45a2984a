"""Beat task of the dashboard: stamp tickets that waited past their queue's SLA target.

Which tickets: still without a first response and in a queue (`waiting`) or held by an agent
who has not answered yet (`assigned`) — a citizen whose ticket was claimed but not answered is
still waiting for a person, and the SLA is about the first response. Deferred tickets are not
looked at: they are created while the office is closed and accrue no business time until
released. The wait is business time from `created_at` (the office's calendar), the same
measure as `Ticket.wait_business_seconds`, and "past" means strictly more than the target, as
a first response at exactly the target meets it.

Exactly once per ticket, even with two beats or workers at once: the stamp is a conditional
`UPDATE … WHERE sla_breached_at IS NULL … RETURNING id`. PostgreSQL locks each row it updates
and, when another transaction stamped it first, re-checks the condition after that commit and
skips it; only the ids this statement actually stamped get an "sla_breached" event. The event
is an ORM row, so pandawa.core.live announces it to the queue's live stream after the commit.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

import sqlalchemy as sa
from celery import shared_task
from sqlalchemy.orm import Session

from pandawa.core.clock import as_utc, now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.hours.queries import calendars_for_offices
from pandawa.reports.forecast import make_due_forecasts
from pandawa.reports.sla_alerts import record_alerts
from pandawa.reports.sla_notices import send_notice
from pandawa.reports.snapshots import refresh_standard
from pandawa.tickets.models import Queue, Ticket, TicketEvent

log = logging.getLogger(__name__)

BREACH_STATUSES = ("waiting", "assigned")
BATCH = 500


def breach_candidates_stmt(queues: list[Queue], at: datetime) -> sa.Select | None:
    """Unstamped, unanswered tickets old enough in calendar time to be late.

    Business time never exceeds calendar time, so a ticket created less than `sla_seconds`
    ago cannot be late yet: the cut-off per queue keeps the Python check to the few that can.
    """
    if not queues:
        return None
    old_enough = sa.or_(
        *(
            sa.and_(
                Ticket.queue_id == q.id, Ticket.created_at < at - timedelta(seconds=q.sla_seconds)
            )
            for q in queues
        )
    )
    return (
        sa.select(Ticket.id, Ticket.queue_id, Ticket.office_id, Ticket.created_at)
        .where(
            Ticket.status.in_(BREACH_STATUSES),
            Ticket.first_response_at.is_(None),
            Ticket.sla_breached_at.is_(None),
            old_enough,
        )
        .order_by(Ticket.id)
    )


def mark_breaches(session: Session, at: datetime) -> int:
    """Stamp every ticket now past its target and add its event; flushes, never commits.
    Returns how many tickets this call stamped."""
    queues = {q.id: q for q in session.scalars(sa.select(Queue))}
    stmt = breach_candidates_stmt(list(queues.values()), at)
    if stmt is None:
        return 0
    calendars = calendars_for_offices(session)
    late: dict[int, tuple[int, int]] = {}  # ticket id -> (business seconds waited, target)
    for ticket_id, queue_id, office_id, created_at in session.execute(stmt):
        calendar = calendars.get(office_id)
        if calendar is None:  # an inactive office: no calendar to count business time by
            continue
        waited = calendar.business_seconds(as_utc(created_at), at)
        target = queues[queue_id].sla_seconds
        if waited > target:
            late[ticket_id] = (waited, target)
    stamped = 0
    ids = sorted(late)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        result = session.execute(
            sa.update(Ticket)
            .where(
                Ticket.id.in_(chunk),
                Ticket.sla_breached_at.is_(None),
                Ticket.first_response_at.is_(None),
                Ticket.status.in_(BREACH_STATUSES),
            )
            .values(sla_breached_at=at)
            .returning(Ticket.id)
        )
        for ticket_id in sorted(result.scalars()):
            waited, target = late[ticket_id]
            session.add(
                TicketEvent(
                    ticket_id=ticket_id,
                    kind="sla_breached",
                    actor_id=None,
                    data={"waited_business_seconds": waited, "sla_seconds": target},
                    created_at=at,
                )
            )
            stamped += 1
    session.flush()
    return stamped


@shared_task(name="dashboard.mark_sla_breaches", acks_late=True)
def mark_sla_breaches() -> int:
    """Every minute: record an "sla_breached" event once per ticket that passed its target."""
    try:
        count = mark_breaches(db.session, now())
        db.session.commit()
        if count:
            log.info("stamped %s tickets past their SLA target", count)
        return count
    finally:
        db.session.rollback()


@shared_task(name="dashboard.record_sla_alerts", acks_late=True)
def record_sla_alerts() -> int:
    """Every minute: an `sla_alert` row per ticket crossing 80 % / 100 % of a target (issue 17,
    reports/sla_alerts.py). Idempotent and safe on two beats: the unique constraint with
    ON CONFLICT DO NOTHING writes each alert once."""
    try:
        ids = record_alerts(db.session, now())
        db.session.commit()
        if ids:
            log.info("recorded %s SLA alerts", len(ids))
        return len(ids)
    finally:
        db.session.rollback()


@shared_task(
    name="dashboard.send_sla_alert_email",
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=30,
    max_retries=5,
)
def send_sla_alert_email(notice_id: int) -> str:
    """One SLA alert e-mail (reports/sla_notices.py): sent once, `sent_at` stamped; an SMTP
    server that cannot be reached is tried again later."""
    try:
        result = send_notice(db.session, notice_id, now())
        db.session.commit()
        return result
    finally:
        db.session.rollback()


@shared_task(name="dashboard.refresh_figures", acks_late=True)
def refresh_figures() -> int:
    """Keep the figures of the standard ranges ready (snapshots.py). Idempotent: each run
    overwrites the same rows; two at once only compute twice."""

    count = refresh_standard(db.session)
    db.session.commit()
    log.info("dashboard: %s figure ranges refreshed", count)
    return count


@shared_task(name="dashboard.forecast_staffing", acks_late=True)
def forecast_staffing() -> int:
    """Every hour: each office past 04:00 local without its day's staffing forecast gets it
    (reports/forecast.py). Idempotent: one row per office and day, a second run stores none."""
    try:
        made = make_due_forecasts(
            db.session,
            calendars_for_offices(db.session),
            now(),
            current_settings().forecast_weeks,
        )
        db.session.commit()
        if made:
            log.info("staffing forecast made for %s offices", made)
        return made
    finally:
        db.session.rollback()
