"""Surge mode: when more citizens arrive than the agents online can serve today, a queue turns
bot-first — at most `live_capacity` tickets wait live, every later one is deferred in arrival
order with its number, an honest time and the FAQ (issue 17).

- The cap holds under concurrency: a handoff to a queue in surge locks the queue's row
  (`FOR NO KEY UPDATE`) before it counts, so two workers never both take the last live place.
- Order holds: a new ticket waits live only when the live queue has room *and* no earlier
  ticket of its office is still deferred in that queue; otherwise it queues behind them.
- Deferred tickets of a capped queue are not released all at once at opening
  (`release.release_due` leaves them): `top_up` (beat, every minute) moves the oldest into the
  live queue as it drains, up to the cap, and tells each citizen. When the surge ends the
  normal release takes whatever is left, oldest first.
- The time told is never a promise the agents online cannot keep: "today at about 13.30 WIB"
  only when the queue's estimate (`estimates.estimate_wait_seconds`) for everyone ahead ends
  before today's closing; else the next working day's opening, "at the earliest".
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.audit.operations import record
from pandawa.catalog.schema import Catalog
from pandawa.hours.calendar import OfficeCalendar
from pandawa.hours.formatting import format_clock, format_local, zone_abbreviation
from pandawa.hours.models import Office
from pandawa.hours.queries import calendar_for
from pandawa.tickets import estimates
from pandawa.tickets.models import Queue, Ticket

log = logging.getLogger(__name__)
RULE = "rule"


def is_capped(queue: Queue) -> bool:
    """In surge with a cap: new tickets beyond it are deferred."""
    return queue.surge_since is not None and queue.live_capacity is not None


def capped_queue_ids() -> sa.Select:
    """The queues in surge with a cap: their deferred tickets are released by the top-up
    (`surge_rule.top_up`), as the live queue drains, not all at once at opening."""
    return sa.select(Queue.id).where(
        Queue.surge_since.is_not(None), Queue.live_capacity.is_not(None)
    )


def lock_queue(session: Session, queue_id: int) -> Queue:
    """The queue's row, locked until the transaction ends, its surge fields fresh.

    `FOR NO KEY UPDATE`: lockers wait for each other, while a ticket written into the queue
    elsewhere (its foreign key's share lock) is not held up."""
    return session.scalars(
        sa.select(Queue)
        .where(Queue.id == queue_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one()


def live_waiting(session: Session, queue_id: int) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.queue_id == queue_id, Ticket.status == "waiting")
        )
        or 0
    )


def deferred_count(session: Session, queue_id: int, office_id: int | None = None) -> int:
    stmt = (
        sa.select(sa.func.count())
        .select_from(Ticket)
        .where(Ticket.queue_id == queue_id, Ticket.status == "deferred")
    )
    if office_id is not None:
        stmt = stmt.where(Ticket.office_id == office_id)
    return int(session.scalar(stmt) or 0)


def must_defer(session: Session, queue: Queue, office_id: int) -> bool:
    """Whether a new ticket of an open office must be deferred by the queue's surge.

    Takes the queue's row lock when the queue is capped (held to the commit, which also
    writes the new ticket), so the cap is counted by one handoff at a time.
    """
    if not is_capped(queue):
        return False
    queue = lock_queue(session, queue.id)
    if not is_capped(queue):  # switched off meanwhile
        return False
    assert queue.live_capacity is not None
    if live_waiting(session, queue.id) >= queue.live_capacity:
        return True
    # room, but earlier citizens of this office still wait deferred: the newcomer goes behind
    return deferred_count(session, queue.id, office_id) > 0


def position_in_line(session: Session, ticket: Ticket) -> int:
    """1 for the next ticket an agent takes: everyone waiting live, then the deferred ones of
    the queue that arrived before this one."""
    ahead = (
        sa.select(sa.func.count())
        .select_from(Ticket)
        .where(
            Ticket.queue_id == ticket.queue_id,
            Ticket.status == "deferred",
            sa.tuple_(Ticket.created_at, Ticket.id) < sa.tuple_(ticket.created_at, ticket.id),
        )
    )
    return live_waiting(session, ticket.queue_id) + int(session.scalar(ahead) or 0) + 1


def honest_time(
    session: Session,
    catalog: Catalog,
    ticket: Ticket,
    office: Office,
    calendar: OfficeCalendar,
    language: str,
    at: datetime,
) -> str:
    """When the citizen will be served at the earliest, as a phrase: today (only when the
    honest estimate says today is realistic — tickets/estimates.py, the same rule as the live
    queue's replies, margin before closing included) or the next opening in the office's local
    time."""
    position = position_in_line(session, ticket)
    found = estimates.estimate_for(session, ticket, position, at, calendar)
    if found.kind == estimates.TODAY and found.shown_at is not None:
        local = found.shown_at.astimezone(ZoneInfo(office.timezone))
        clock = format_clock(local.hour, local.minute, language)
        return catalog.text(
            "surge_today",
            language,
            time=f"{clock} {zone_abbreviation(office.timezone, found.shown_at)}",
        )
    closing = calendar.next_closing(at)
    opening = calendar.next_opening(closing or at)
    return format_local(opening, office.timezone, language)


def status_time(
    session: Session, catalog: Catalog, ticket: Ticket, language: str, at: datetime
) -> str:
    """`honest_time` for the `status` reply of a ticket the surge deferred."""
    office = ticket.office
    return honest_time(
        session,
        catalog,
        ticket,
        office,
        calendar_for(session, office, queue_id=ticket.queue_id),
        language,
        at,
    )


def deferred_reply(
    session: Session,
    catalog: Catalog,
    ticket: Ticket,
    office: Office,
    calendar: OfficeCalendar,
    language: str,
    at: datetime,
) -> str:
    """The one message a citizen deferred by a surge gets (the FAQ is added by the bot)."""
    served_at = honest_time(session, catalog, ticket, office, calendar, language, at)
    return catalog.text("surge_deferred", language, ticket=ticket.number, served_at=served_at)


# -- switching ---------------------------------------------------------------------------------


def switch(
    session: Session,
    queue: Queue,
    on: bool,
    at: datetime,
    *,
    actor: User | None = None,
    address: str = "",
    reason: dict | None = None,
) -> bool:
    """Turn the queue's surge on or off (a staff member, or the rule when `actor` is None);
    audited. False when it already was so (nothing written)."""
    queue = lock_queue(session, queue.id)
    if (queue.surge_since is not None) == on:
        return False
    by = actor.email if actor is not None else RULE
    details = {"queue": queue.code, "live_capacity": queue.live_capacity, **(reason or {})}
    if on:
        queue.surge_since, queue.surge_by = at, by
    else:
        details["since"] = queue.surge_since.isoformat() if queue.surge_since else None
        details["began_by"] = queue.surge_by
        queue.surge_since, queue.surge_by = None, None
    record(
        session,
        "surge_on" if on else "surge_off",
        actor_id=actor.id if actor is not None else None,
        actor_label=by,
        address=address,
        details=details,
    )
    session.flush()
    log.info(
        "surge %s for queue %s by %s", "on" if on else "off", queue.id, by if not actor else "staff"
    )
    return True
