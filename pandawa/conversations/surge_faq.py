"""Bot-first in a surge: the FAQ answers sent with the ticket number when the live queue is
full (issue 17, tickets/surge.py). They go in the same message as the number and the time, so
the citizen gets one message; what does not fit WhatsApp's length is left out, and when no
answer fits (or none matches the service) the citizen is pointed to the menu's FAQ instead."""

from __future__ import annotations

from pandawa.catalog.schema import Catalog
from pandawa.catalog.texts import MAX_MESSAGE_CHARS
from pandawa.conversations.faq import best_answers

LIMIT = 3
SEPARATOR = "\n\n"


def faq_block(catalog: Catalog, service: str, language: str, used: int) -> str:
    """Up to three FAQ answers for `service` that fit beside `used` characters."""
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
