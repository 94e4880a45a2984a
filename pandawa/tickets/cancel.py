"""A citizen cancels their own ticket (after confirming with ya/yes)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from pandawa.core.clock import now
from pandawa.tickets.models import OPEN_STATUSES, Ticket
from pandawa.tickets.operations import add_event

log = logging.getLogger(__name__)


def cancel_by_citizen(session: Session, ticket: Ticket) -> bool:
    """Cancel an open ticket; False when it closed meanwhile (an agent resolved it)."""
    if ticket.status not in OPEN_STATUSES:
        return False
    at = now()
    ticket.status = "cancelled"
    ticket.cancelled_at = at
    ticket.updated_at = at
    # a held ticket is let go: the queued/held check constraints allow a holder only while held
    add_event(session, ticket, "cancelled", by="citizen")
    session.flush()
    log.info("ticket %s cancelled by the citizen", ticket.number)
    return True
