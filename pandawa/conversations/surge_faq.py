"""Bot-first in a surge (issue 17, tickets/surge.py): the FAQ answers sent with the ticket
number when the live queue is full, and the `status` reply's word for such a ticket. The
answers go in the same message as the number and the time, so the citizen gets one message;
what does not fit WhatsApp's length is left out, and when no answer fits (or none matches the
service) the citizen is pointed to the menu's FAQ instead."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pandawa.catalog.schema import Catalog
from pandawa.catalog.texts import MAX_MESSAGE_CHARS
from pandawa.conversations.faq import best_answers
from pandawa.core.clock import now
from pandawa.tickets import surge
from pandawa.tickets.models import Ticket

LIMIT = 3
SEPARATOR = "\n\n"


def faq_block(catalog: Catalog, details: dict, language: str, turn: Any) -> str:
    """Up to three FAQ answers for the service in `details` that fit beside the turn's
    replies so far (joined with SEPARATOR into one message)."""
    service = str(details.get("service") or "")
    used = len(SEPARATOR.join(r for r in turn.replies if r))
    room = MAX_MESSAGE_CHARS - used - len(SEPARATOR)
    parts = [catalog.text("surge_faq", language)]
    for match in best_answers(catalog, service, language, limit=LIMIT) if service else []:
        entry = f"*{match.entry.question.get(language)}*\n{match.entry.answer.get(language)}"
        if len(SEPARATOR.join([*parts, entry])) <= room:
            parts.append(entry)
    if len(parts) > 1:
        return SEPARATOR.join(parts)
    pointer = catalog.text("surge_faq_menu", language)
    return pointer if len(pointer) <= room else ""


def status_word(session: Session, catalog: Catalog, ticket: Ticket, language: str) -> str | None:
    """The `status` reply's word for a ticket the surge deferred (its honest time, not
    "waiting for office hours" while the office is open); None for any other ticket."""
    if ticket.status != "deferred" or ticket.surge_deferred_at is None:
        return None
    at = surge.status_time(session, catalog, ticket, language, now())
    return catalog.text("status_surge_deferred", language, served_at=at)
