"""Blocking an abusive number (an agent on a ticket she may see, or a supervisor), and lifting
the block (supervisors). Operators' wellbeing matters in a service that gets prank floods.

A blocked citizen's messages are still stored (the webhook already did) but never answered by
the bot nor queued to agents: `conversations.screening` marks them processed without a turn.
Blocking closes the citizen's open ticket at once (status `cancelled`, event `cancelled` with
`by="block"`), so it leaves the queues and no agent keeps working it; their held replies are
dropped (marked failed, `error_code="blocked"`) so nothing reaches them when they write again.
Lifting the block reopens nothing: the citizen starts afresh with the bot.

Both acts are audited (`contact_blocked`, `contact_unblocked`) in the caller's transaction;
the reason is stored masked in the audit (it is typed by staff and may quote a number).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.audit.operations import record
from pandawa.channels.models import Message
from pandawa.channels.outbox import HELD
from pandawa.citizens import consent
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.clock import now
from pandawa.core.masking import mask_text
from pandawa.tickets.models import OPEN_STATUSES, Ticket
from pandawa.tickets.operations import TicketError, add_event

log = logging.getLogger(__name__)


class InvalidReason(TicketError):
    code = "invalid_reason"


def block_contact(
    session: Session,
    contact: Contact,
    actor: User,
    reason: str,
    *,
    address: str = "",
    ticket_number: str | None = None,
) -> bool:
    """Block `contact`; False when it was blocked already. Closes their open tickets and drops
    their held replies, in this transaction; audited."""
    text = (reason or "").strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidReason("Alasan pemblokiran wajib diisi. / A reason for the block is required.")
    if len(text) > consent.MAX_REASON:
        raise InvalidReason(
            f"Alasan melebihi {consent.MAX_REASON} karakter. / "
            f"The reason exceeds {consent.MAX_REASON} characters."
        )
    at = now()
    # the citizen's conversations are locked first: a worker in the middle of a bot turn (which
    # might open a ticket) finishes before the block, and the next turn sees the block
    conversation_ids = list(
        session.scalars(
            sa.select(Conversation.id)
            .where(Conversation.contact_id == contact.id)
            .order_by(Conversation.id)
            .with_for_update(key_share=True)
        )
    )
    if not consent.block(contact, text, actor.id, at):
        return False
    closed = _close_open_tickets(session, contact, actor, at)
    dropped = _drop_held(session, conversation_ids, at)
    record(
        session,
        "contact_blocked",
        actor_id=actor.id,
        actor_label=actor.email,
        contact_id=contact.id,
        ticket_number=ticket_number,
        address=address,
        details={"reason": mask_text(text), "tickets_closed": closed, "held_dropped": dropped},
    )
    session.flush()
    log.info("contact %s blocked by user %s (%s tickets closed)", contact.id, actor.id, closed)
    return True


def unblock_contact(session: Session, contact: Contact, actor: User, *, address: str = "") -> bool:
    """Lift the block; False when the number was not blocked. Audited with the old reason."""
    since = contact.blocked_at
    reason = contact.blocked_reason or ""
    if not consent.unblock(contact):
        return False
    record(
        session,
        "contact_unblocked",
        actor_id=actor.id,
        actor_label=actor.email,
        contact_id=contact.id,
        address=address,
        details={"reason": mask_text(reason), "blocked_at": since.isoformat() if since else None},
    )
    session.flush()
    log.info("contact %s unblocked by user %s", contact.id, actor.id)
    return True


def _close_open_tickets(session: Session, contact: Contact, actor: User, at) -> int:
    tickets = session.scalars(
        sa.select(Ticket)
        .where(Ticket.contact_id == contact.id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id)
        .with_for_update(of=Ticket)
    ).all()
    for ticket in tickets:
        ticket.status = "cancelled"
        ticket.cancelled_at = at
        ticket.updated_at = at
        add_event(session, ticket, "cancelled", actor, by="block")
    session.flush()
    return len(tickets)


def _drop_held(session: Session, conversation_ids: list[int], at) -> int:
    if not conversation_ids:
        return 0
    result = session.execute(
        sa.update(Message)
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.direction == "out",
            Message.status == HELD,
        )
        .values(
            status="failed",
            error_code="blocked",
            error_message="not sent: the number was blocked",
            updated_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
