"""Where a citizen stands in the queue, and an honest estimate of the wait.

The estimate is the citizen's position divided among the queue's agents who are online, times
the queue's recent handle time in business time. No agent online → no number (the reply says
so instead of inventing one).
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.hours.calendar import OfficeCalendar
from pandawa.tickets.models import Ticket, queue_member

# an agent who made a request in the last ten minutes counts as online
ONLINE_WINDOW = timedelta(minutes=10)
# handle time assumed before a queue has any history
DEFAULT_HANDLE_SECONDS = 10 * 60
HISTORY = 50


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


def agents_online(session: Session, queue_id: int, at: datetime) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .join(queue_member, queue_member.c.user_id == User.id)
            .where(
                queue_member.c.queue_id == queue_id,
                User.is_active,
                User.last_seen_at >= at - ONLINE_WINDOW,
            )
        )
        or 0
    )


def recent_handle_seconds(session: Session, queue_id: int, calendar: OfficeCalendar) -> int:
    """Median business seconds from first response to resolution over recent tickets."""
    rows = session.execute(
        sa.select(Ticket.first_response_at, Ticket.resolved_at)
        .where(
            Ticket.queue_id == queue_id,
            Ticket.status == "resolved",
            Ticket.first_response_at.is_not(None),
        )
        .order_by(Ticket.resolved_at.desc())
        .limit(HISTORY)
    ).all()
    spans = [calendar.business_seconds(start, end) for start, end in rows if end > start]
    return int(statistics.median(spans)) if spans else DEFAULT_HANDLE_SECONDS


def estimate_wait_seconds(
    session: Session, ticket: Ticket, position: int, at: datetime, calendar: OfficeCalendar
) -> int | None:
    online = agents_online(session, ticket.queue_id, at)
    if online == 0:
        return None
    rounds = math.ceil(position / online)
    return rounds * recent_handle_seconds(session, ticket.queue_id, calendar)


def rounded_minutes(seconds: int) -> int:
    """Whole minutes, up to the next 5 (it is an estimate: "about 25 minutes")."""
    return max(5, 5 * math.ceil(seconds / 300))
