"""Automatic assignment: waiting tickets go to online agents, within each agent's capacity.

Only queues with `is_auto_assign` take part; claiming works everywhere regardless. Agents
count as online when they chose "online" and made a request in the last ten minutes. A ticket
goes to the least loaded agent (assigned tickets held, across all queues); among equals, to the
one whose last assignment is oldest (round-robin), then by id.

Safe on two beats at once: agents are locked `FOR NO KEY UPDATE SKIP LOCKED` (an agent being
assigned by the other beat is skipped this round, so their load is never counted twice; a
foreign key's key-share lock from a new ticket is not blocked), waiting tickets are locked
`FOR UPDATE SKIP LOCKED`, and the assignment is the claim's conditional UPDATE
(`status = 'waiting'`). SQLite ignores the row locks; the conditional UPDATE still guards.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.tickets.estimates import ONLINE_WINDOW
from pandawa.tickets.models import Queue, Ticket, TicketEvent, queue_member
from pandawa.tickets.operations import add_event

log = logging.getLogger(__name__)


@dataclass
class Candidate:
    """An online agent who may take more tickets, with what ranks them."""

    user: User
    load: int
    rank: tuple  # round-robin order among equal loads: oldest last assignment first

    @property
    def free(self) -> int:
        return max(self.user.capacity - self.load, 0)


def is_online(user: User, at: datetime) -> bool:
    """Chose "online" and was seen within the last ten minutes."""
    return (
        user.is_active
        and user.presence == "online"
        and user.last_seen_at is not None
        and user.last_seen_at >= at - ONLINE_WINDOW
    )


def online_candidates(
    session: Session, queue_id: int, at: datetime, *, lock: bool = False
) -> list[Candidate]:
    """Online agents of the queue holding fewer tickets than their capacity, best first."""
    query = (
        sa.select(User)
        .join(queue_member, queue_member.c.user_id == User.id)
        .where(
            queue_member.c.queue_id == queue_id,
            User.is_active.is_(True),
            User.presence == "online",
            User.last_seen_at >= at - ONLINE_WINDOW,
        )
        .order_by(User.id)
    )
    if lock:
        query = query.with_for_update(skip_locked=True, key_share=True, of=User)
    users = list(session.scalars(query))
    if not users:
        return []
    ids = [u.id for u in users]
    loads = dict(
        session.execute(
            sa.select(Ticket.assignee_id, sa.func.count())
            .where(Ticket.assignee_id.in_(ids), Ticket.status == "assigned")
            .group_by(Ticket.assignee_id)
        ).all()
    )
    last = dict(
        session.execute(
            sa.select(Ticket.assignee_id, sa.func.max(Ticket.assigned_at))
            .where(Ticket.assignee_id.in_(ids))
            .group_by(Ticket.assignee_id)
        ).all()
    )
    candidates = [
        # never assigned sorts first; then the oldest last assignment; then the id
        Candidate(u, int(loads.get(u.id, 0)), (last.get(u.id) is not None, last.get(u.id), u.id))
        for u in users
    ]
    candidates = [c for c in candidates if c.free > 0]
    candidates.sort(key=lambda c: (c.load, c.rank))
    return candidates


def assign_waiting(session: Session, at: datetime) -> int:
    """Give waiting tickets of auto-assign queues to online agents; add and flush, the caller
    commits. Returns how many tickets were assigned."""
    queue_ids = list(
        session.scalars(
            sa.select(Queue.id)
            .where(Queue.is_auto_assign.is_(True), Queue.is_active.is_(True))
            .order_by(Queue.id)
        )
    )
    assigned = 0
    for queue_id in queue_ids:
        assigned += _assign_queue(session, queue_id, at)
    if assigned:
        log.info("auto-assigned %s tickets", assigned)
    return assigned


def _assign_queue(session: Session, queue_id: int, at: datetime) -> int:
    candidates = online_candidates(session, queue_id, at, lock=True)
    room = sum(c.free for c in candidates)
    if not room:
        return 0
    ticket_ids = list(
        session.scalars(
            sa.select(Ticket.id)
            .where(Ticket.queue_id == queue_id, Ticket.status == "waiting")
            .order_by(Ticket.released_at, Ticket.id)
            .limit(room)
            .with_for_update(skip_locked=True, of=Ticket)
        )
    )
    avoid = _returned_unanswered_by(session, ticket_ids)
    order = itertools.count()
    assigned = 0
    for ticket_id in ticket_ids:
        chosen = next(
            (c for c in candidates if c.free > 0 and c.user.id != avoid.get(ticket_id)), None
        )
        if chosen is None:
            continue
        result = session.execute(
            sa.update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == "waiting")
            .values(status="assigned", assignee_id=chosen.user.id, assigned_at=at, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        ticket = session.get(Ticket, ticket_id, populate_existing=True)
        assert ticket is not None
        add_event(session, ticket, "assigned", None, auto=True, assignee_id=chosen.user.id)
        session.flush()
        log.info("ticket %s auto-assigned to user %s", ticket.number, chosen.user.id)
        assigned += 1
        # the agent just served goes behind everyone of the same load
        chosen.load += 1
        chosen.rank = (True, at, next(order) + 1_000_000_000)
        candidates.sort(key=lambda c: (c.load, c.rank))
    return assigned


def _returned_unanswered_by(session: Session, ticket_ids: list[int]) -> dict[int, int]:
    """Ticket id → the agent it was last taken from for going unanswered: handing it straight
    back to them would only restart the wait."""
    if not ticket_ids:
        return {}
    latest = (
        sa.select(sa.func.max(TicketEvent.id))
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind.in_(_HANDOVER_KINDS))
        .group_by(TicketEvent.ticket_id)
    )
    rows = session.scalars(sa.select(TicketEvent).where(TicketEvent.id.in_(latest)))
    return {
        row.ticket_id: int(row.data["previous_assignee_id"])
        for row in rows
        if row.kind == "returned"
        and row.data.get("reason") == "unanswered"
        and row.data.get("previous_assignee_id") is not None
    }


# events after which a ticket's last holder no longer matters (it was moved or given anew)
_HANDOVER_KINDS = ("returned", "transferred", "claimed", "assigned")
