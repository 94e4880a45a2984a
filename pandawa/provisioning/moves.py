"""Open tickets of queues and offices a catalogue load takes away: counted, or moved.

A queue or office that leaves the catalogue is deactivated (its rows stay: closed tickets refer
to them), but a ticket still open in it would be orphaned: no agent works a deactivated queue.
The load counts them in one query and refuses, unless the operator named where each queue's
open tickets go (`--move-open OLD=NEW`); they are then moved in the load's transaction, each
with a `transferred` event as an agent's transfer writes it (actor: the system).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.core.clock import now
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket
from pandawa.tickets.operations import move_to_queue

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


def open_ticket_counts(
    session: Session, column: sa.ColumnElement, ids: Iterable[int]
) -> dict[int, int]:
    """{queue or office id: open tickets} for `Ticket.queue_id` or `Ticket.office_id`, one query."""
    ids = list(ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(column, sa.func.count())
        .where(column.in_(ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(column)
    )
    return {key: count for key, count in rows}


def move_open_tickets(
    session: Session,
    moves: dict[Queue, Queue],
    reason: str,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Move every open ticket of each source queue to its target: {source code: moved}.

    As `tickets.operations.transfer` does it (a deferred ticket stays deferred, any other
    waits in the new queue at its original place in time, unassigned), without its actor
    checks: the catalogue's operator decided. One query loads (and row-locks) them all.
    """
    targets = {source.id: target for source, target in moves.items()}
    moved = {source.code: 0 for source in moves}
    if not targets:
        return moved
    tickets = list(
        session.scalars(
            sa.select(Ticket)
            .where(Ticket.queue_id.in_(targets), Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id)
            .with_for_update(of=Ticket)
        )
    )
    at = now()
    sources = {source.id: source.code for source in moves}
    for done, ticket in enumerate(tickets, start=1):
        source = sources[ticket.queue_id]
        move_to_queue(session, ticket, targets[ticket.queue_id], None, reason, at)
        moved[source] += 1
        if progress:
            progress("tickets", done, len(tickets))
    session.flush()
    codes = {source.code: target.code for source, target in moves.items()}
    for source, count in moved.items():
        log.info(
            "catalogue load: %s open tickets moved from %s to %s", count, source, codes[source]
        )
    return moved
