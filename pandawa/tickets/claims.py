"""Claiming: an agent takes the oldest waiting ticket of their queues.

Like `operations`, functions here flush and never commit (the view does), stamp times from
`pandawa.core.clock.now()` and record a `claimed` event; on PostgreSQL all of that is one statement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session, defaultload

from pandawa.accounts.models import User
from pandawa.core.clock import now
from pandawa.core.live import publish_after_commit
from pandawa.core.sqltypes import UTCDateTime
from pandawa.tickets.models import Ticket, TicketEvent, queue_member
from pandawa.tickets.queries import is_office_scoped, visibility_clause

if TYPE_CHECKING:
    from pandawa.accounts.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """What a claim needs to answer: the ticket's id, number and queue code."""

    id: int
    number: str
    queue: str
    office: str = ""  # the office's code (live events: issue 17's scoped supervisors)


def claim(session: Session, user: User) -> Claimed | None:
    """Give `user` the oldest waiting ticket of their queues, or None when nothing waits.

    On PostgreSQL one statement finds, locks, assigns and records the claim (`_CLAIM_SQL`) and
    returns what the answer needs: candidates are locked with `FOR UPDATE SKIP LOCKED`, so
    concurrent claimers pass over each other's rows without waiting, and a claim costs one
    round trip. SQLite has no row locks (it ignores FOR UPDATE): there a conditional UPDATE is
    the guard, and a lost race moves on to the next candidate.
    """
    at = now()
    if is_office_scoped(user):
        # a supervisor bound to offices who works queues too: only her offices' tickets (the
        # rare case takes the portable path, filtered by the one visibility rule)
        ticket_id = _claim_portable(session, user, at, visibility_clause(user))
        if ticket_id is None:
            return None
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        claimed = Claimed(ticket.id, ticket.number, ticket.queue.code, ticket.office.code)
    elif session.get_bind().dialect.name == "postgresql":
        row = session.execute(
            _CLAIM_SQL, {"user_id": user.id, "at": at, "data": "{}"}
        ).one_or_none()
        if row is None:
            return None
        claimed = Claimed(row.id, row.number, row.queue, row.office)
        # the event row was written by the statement itself, past the ORM's flush hooks
        publish_after_commit(
            session,
            {
                "type": "ticket",
                "ticket": claimed.number,
                "queue": claimed.queue,
                "event": "claimed",
                "status": "assigned",
                "assignee": user.id,
                "office": claimed.office,
            },
        )
    else:
        ticket_id = _claim_portable(session, user, at)
        if ticket_id is None:
            return None
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        claimed = Claimed(ticket.id, ticket.number, ticket.queue.code, ticket.office.code)
    log.info("ticket %s claimed by user %s", claimed.number, user.id)
    return claimed


def claim_next(session: Session, user: User) -> Ticket | None:
    """`claim`, answering with the claimed ticket loaded."""
    claimed = claim(session, user)
    if claimed is None:
        return None

    # the holder's queue list is not needed to answer the claim (one round trip less)
    ticket = session.get(
        Ticket,
        claimed.id,
        populate_existing=True,
        options=[defaultload(Ticket.assignee).lazyload(User.queues)],
    )
    assert ticket is not None
    return ticket


# One walk of ix_ticket_waiting_claim per queue of the user (LATERAL), each stopping at the first
# row nobody else holds; the oldest of those heads is assigned and its "claimed" event written,
# all in one statement. (A single query over `queue_id IN (…)` would sort every waiting ticket of
# those queues instead.)
_CLAIM_SQL = sa.text(
    """
    WITH head AS (
        SELECT h.id
        FROM queue_member AS m
        CROSS JOIN LATERAL (
            SELECT t.id, t.released_at
            FROM ticket AS t
            WHERE t.queue_id = m.queue_id AND t.status = 'waiting'
            ORDER BY t.released_at, t.id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ) AS h
        WHERE m.user_id = :user_id
        ORDER BY h.released_at, h.id
        LIMIT 1
    ), claimed AS (
        UPDATE ticket
        SET status = 'assigned', assignee_id = :user_id, assigned_at = :at, updated_at = :at
        FROM head
        WHERE ticket.id = head.id AND ticket.status = 'waiting'
        RETURNING ticket.id, ticket.number, ticket.queue_id, ticket.office_id
    ), event AS (
        INSERT INTO ticket_event (ticket_id, kind, actor_id, data, created_at)
        SELECT id, 'claimed', :user_id, CAST(:data AS jsonb), :at FROM claimed
    )
    SELECT claimed.id, claimed.number, queue.code AS queue, office.code AS office
    FROM claimed JOIN queue ON queue.id = claimed.queue_id
    JOIN office ON office.id = claimed.office_id
    """
).bindparams(sa.bindparam("at", type_=UTCDateTime()))


def _claim_portable(
    session: Session, user: User, at: datetime, seen: sa.ColumnElement[bool] | None = None
) -> int | None:
    mine = sa.select(queue_member.c.queue_id).where(queue_member.c.user_id == user.id)
    tried: list[int] = []
    while True:
        candidate = sa.select(Ticket.id).where(
            Ticket.status == "waiting",
            Ticket.queue_id.in_(mine),
            seen if seen is not None else sa.true(),
        )
        if tried:
            candidate = candidate.where(Ticket.id.not_in(tried))
        ticket_id = session.scalar(candidate.order_by(Ticket.released_at, Ticket.id).limit(1))
        if ticket_id is None:
            return None
        result = session.execute(
            sa.update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == "waiting")
            .values(status="assigned", assignee_id=user.id, assigned_at=at, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session.add(
                TicketEvent(
                    ticket_id=ticket_id, kind="claimed", actor_id=user.id, data={}, created_at=at
                )
            )
            session.flush()
            return ticket_id
        tried.append(ticket_id)
