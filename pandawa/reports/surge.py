"""Surge mode on the board (issue 17): per visible queue, whether it is in surge (since when,
by whom or by the rule), the live queue against its cap, the tickets the surge deferred, and
the forecast: arrivals in the last hour against what the agents online can still serve today
(`tickets.surge_rule.forecast`, the same figures the rule judges by).

Queries: the visible queues (one), the surge-deferred counts (one GROUP BY on
`ix_ticket_queue_status`), the starters' names (one), the forecasts' three GROUP BYs, and each
queue's recent handle time (`estimates.recent_handle_seconds`, one indexed query per queue: the
estimate's own function, so the board and the citizen's time agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User, display_name
from pandawa.hours.formatting import format_clock, format_local, zone_abbreviation
from pandawa.hours.queries import calendars_for_offices
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.queries import visible_queues_clause
from pandawa.tickets.surge import RULE
from pandawa.tickets.surge_rule import SurgeForecast, forecasts

ZONE = "Asia/Jakarta"


@dataclass(frozen=True)
class SurgePanel:
    queue_id: int
    code: str
    is_on: bool
    since: str  # local time, "" when off
    by: str  # a staff member's name, or RULE
    live_capacity: int | None
    auto_ratio: float | None
    surge_deferred: int  # deferred by the cap, still waiting for a live place
    forecast: SurgeForecast

    @property
    def is_full(self) -> bool:
        return self.live_capacity is not None and self.forecast.waiting >= self.live_capacity

    @property
    def over_capacity(self) -> bool:
        """More work than the agents online can serve today (the surge's reason)."""
        return self.forecast.demand > self.forecast.servable_today


def surge_panels(
    session: Session, user: User, at: datetime, *, language: str = "id"
) -> dict[int, SurgePanel]:
    queues = list(
        session.scalars(
            sa.select(Queue).where(Queue.is_active, visible_queues_clause(user)).order_by(Queue.id)
        )
    )
    if not queues:
        return {}
    ids = [q.id for q in queues]
    deferred = dict(
        session.execute(
            sa.select(Ticket.queue_id, sa.func.count())
            .where(
                Ticket.queue_id.in_(ids),
                Ticket.status == "deferred",
                Ticket.surge_deferred_at.is_not(None),
            )
            .group_by(Ticket.queue_id)
        ).all()
    )
    starters = {q.surge_by for q in queues if q.surge_by and q.surge_by != RULE}
    names = (
        {
            email: display_name(name, email)
            for name, email in session.execute(
                sa.select(User.name, User.email).where(User.email.in_(starters))
            )
        }
        if starters
        else {}
    )
    found = forecasts(session, ids, at, calendars_for_offices(session))
    return {
        queue.id: SurgePanel(
            queue_id=queue.id,
            code=queue.code,
            is_on=queue.surge_since is not None,
            since=_since(queue.surge_since, at, language),
            by=names.get(queue.surge_by or "", queue.surge_by or ""),
            live_capacity=queue.live_capacity,
            auto_ratio=queue.surge_auto_ratio,
            surge_deferred=int(deferred.get(queue.id, 0)),
            forecast=found[queue.id],
        )
        for queue in queues
    }


def _since(since: datetime | None, at: datetime, language: str) -> str:
    """ "10.05 WIB" today, the full date otherwise (the board's zone)."""
    if since is None:
        return ""
    local, today = since.astimezone(ZoneInfo(ZONE)), at.astimezone(ZoneInfo(ZONE))
    if local.date() == today.date():
        return f"{format_clock(local.hour, local.minute, language)} {zone_abbreviation(ZONE)}"
    return format_local(since, ZONE, language)
