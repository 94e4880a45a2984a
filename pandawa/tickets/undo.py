"""A resolution the agent may take back for a short while, and the citizen told only after it.

The console resolves with `operations.resolve(..., announce_after=RESOLVE_UNDO_SECONDS)`: the
ticket closes at once (it leaves the work list, the figures count it) but the closing message
and the 1–5 rating question wait. The `resolved` event remembers the status before and the
undo period; `tickets.announce_resolved` (a named task published through the outbox with that
countdown) then sends `signals.ticket_resolved` — the conversation layer's closing message and
rating question, unchanged — in its own transaction, and records `resolution_announced`.

Until then `undo_resolve` puts the ticket back as it was (same status, same holder). The two
serialise on the ticket's row lock and the `resolution_announced` event: an undone resolution
is never announced, an announced one is never undone, and an announcement happens at most once
per resolution (the task is idempotent: published twice, it tells the citizen once).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.core.clock import as_utc, now, parse_utc
from pandawa.tickets import signals
from pandawa.tickets.models import OPEN_STATUSES, Ticket, TicketEvent
from pandawa.tickets.operations import ANNOUNCED, TicketError, add_event

if TYPE_CHECKING:
    from pandawa.accounts.models import User

log = logging.getLogger(__name__)

UNDONE = "resolve_undone"


class CannotUndo(TicketError):
    code = "cannot_undo"


def _latest(session: Session, ticket: Ticket, kind: str) -> TicketEvent | None:
    return session.scalars(
        sa.select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).first()


def _announced(session: Session, ticket: Ticket, resolved_at: datetime) -> bool:
    told = _latest(session, ticket, ANNOUNCED)
    return told is not None and parse_utc((told.data or {}).get("resolved_at")) == resolved_at


def undo_until(session: Session, ticket: Ticket, at: datetime | None = None) -> datetime | None:
    """Until when this resolution may be undone; None when it may not (not resolved, resolved
    without an undo period, the period over, or the citizen already told)."""
    resolved_at = as_utc(ticket.resolved_at)
    if ticket.status != "resolved" or resolved_at is None:
        return None
    event = _latest(session, ticket, "resolved")
    seconds = (event.data or {}).get("undo_seconds") if event is not None else None
    if not isinstance(seconds, int) or seconds <= 0:
        return None
    until = resolved_at + timedelta(seconds=seconds)
    if (at or now()) >= until or _announced(session, ticket, resolved_at):
        return None
    return until


def undo_resolve(session: Session, ticket: Ticket, user: User) -> Ticket:
    """Reopen a ticket resolved moments ago as it was. The caller holds the ticket's row lock
    (`get_visible_ticket(..., for_update=True)`) and commits."""
    number = ticket.number
    if undo_until(session, ticket) is None:
        raise CannotUndo(
            f"Penyelesaian tiket {number} tidak dapat diurungkan lagi: waktunya sudah habis "
            f"atau warga sudah diberi tahu. / The resolution of ticket {number} can no longer "
            "be undone: the time is up or the citizen has been told."
        )
    event = _latest(session, ticket, "resolved")
    assert event is not None  # undo_until found it
    if not user.sees_all_queues and event.actor_id != user.id:
        raise CannotUndo(
            f"Hanya petugas yang menyelesaikan tiket {number} yang dapat mengurungkannya. / "
            f"Only the agent who resolved ticket {number} can undo it."
        )
    other = session.scalar(
        sa.select(Ticket.number).where(
            Ticket.conversation_id == ticket.conversation_id,
            Ticket.id != ticket.id,
            Ticket.status.in_(OPEN_STATUSES),
        )
    )
    if other is not None:  # the citizen wrote meanwhile and has a new ticket
        raise CannotUndo(
            f"Warga sudah memiliki tiket terbuka lain ({other}); tiket {number} tetap selesai. "
            f"/ The citizen already has another open ticket ({other}); {number} stays resolved."
        )
    previous = (event.data or {}).get("previous_status")
    resolved_at = as_utc(ticket.resolved_at)
    at = now()
    ticket.status = previous if previous in OPEN_STATUSES else "waiting"
    ticket.resolved_at = None
    ticket.updated_at = at
    session.flush()
    add_event(
        session,
        ticket,
        UNDONE,
        user,
        resolved_at=resolved_at.isoformat() if resolved_at else None,
        status=ticket.status,
    )
    session.flush()
    log.info("resolution of ticket %s undone", number)
    return ticket


def announce_resolved(session: Session, ticket_id: int, resolved_at: str) -> bool:
    """Tell the citizen about the resolution made at `resolved_at`, once, if it still stands:
    `signals.ticket_resolved` (the conversation layer sends the closing message and asks for
    the rating) and the `resolution_announced` event. False when the ticket was reopened,
    resolved again later (that resolution has its own task) or already announced."""
    ticket = session.scalars(
        sa.select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update(of=Ticket, key_share=True)
        .execution_options(populate_existing=True)
    ).first()
    when = parse_utc(resolved_at)
    if (
        ticket is None
        or ticket.status != "resolved"
        or when is None
        or as_utc(ticket.resolved_at) != when
        or _announced(session, ticket, when)
    ):
        return False
    signals.ticket_resolved.send(session, ticket=ticket, at=now())
    add_event(session, ticket, ANNOUNCED, None, resolved_at=when.isoformat())
    session.flush()
    return True
