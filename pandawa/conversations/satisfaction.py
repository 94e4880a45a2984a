"""The 1–5 rating after a ticket is resolved.

When `tickets.operations.resolve` announces a resolved ticket (`tickets.signals`),
`ask_for_rating` sends the closing message with the question and puts the conversation in the
`satisfaction` state (`state_data = {"ticket_id", "asked_at"}`), in the same transaction. The
citizen's next message is read here: a rating (with an optional comment after it) is stored on
the ticket; anything else is answered once with a reminder of the scale, and the second time the
bot stops waiting for a rating and treats the message as a fresh one.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from pandawa.catalog.queries import active_catalog
from pandawa.catalog.schema import Catalog
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_notification
from pandawa.channels.window import window_is_open
from pandawa.citizens.models import Conversation
from pandawa.core.clock import as_utc, now, parse_utc
from pandawa.tickets.models import Ticket
from pandawa.tickets.notify import closing_template
from pandawa.tickets.operations import add_event
from pandawa.tickets.signals import ticket_resolved

log = logging.getLogger(__name__)

# the conversation state while the citizen's 1–5 rating of a resolved ticket is awaited
RATING_STATE = "satisfaction"
# its state_data: the ticket asked about, when, and whether one reminder of the scale was sent
RATING_KEYS = ("ticket_id", "asked_at", "invalid")
# a rating asked for longer ago than this is not expected any more
EXPIRES_AFTER = timedelta(days=3)
MAX_COMMENT = 1000

_STAR = "⭐🌟★"
# a leading rating: "5", "5/5", "nilai 4", "4 bintang", "3 dari 5", then anything (a comment)
_NUMBER = re.compile(
    r"(?:(?:nilai(?:nya)?|rating|skor|score)\s*:?\s*)?([1-5])(?![\d])(?![.,]\d)"
    r"(?:\s*(?:/|dari|of|out\s+of)\s*5(?!\d))?(?:\s*(?:bintang|stars?)(?![a-z]))?",
    re.IGNORECASE,
)
_STARS = re.compile(rf"(?:[{_STAR}]\s*){{1,5}}(?!\s*[{_STAR}])")
_WORDS = {
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
}
_WORD = re.compile(rf"({'|'.join(_WORDS)})(?:\s*(?:bintang|stars?))?", re.IGNORECASE)
# WhatsApp's keycap digits (5️⃣) and emoji variation selectors
_DECORATION = dict.fromkeys(map(ord, "\ufe0f\u20e3"))
_COMMENT_LEAD = " \t\r\n.,;:!-–—)("


def parse_rating(text: str) -> tuple[int, str] | None:
    """(rating, comment) from a citizen's answer, or None when it holds no 1–5 rating.

    A rating leads the message (digits, keycap digits, 1–5 star emoji, or a number word on its
    own); whatever follows it is the comment. "10", "4.5" and free words are not ratings.
    """
    text = text.translate(_DECORATION).strip()
    if not text:
        return None
    word = _WORD.fullmatch(text)
    if word:
        return _WORDS[word.group(1).lower()], ""
    stars = _STARS.match(text)
    if stars:
        score = sum(ch in _STAR for ch in stars.group())
        return score, _comment(text[stars.end() :])
    number = _NUMBER.match(text)
    if number:
        return int(number.group(1)), _comment(text[number.end() :])
    return None


def _comment(rest: str) -> str:
    return rest.lstrip(_COMMENT_LEAD).strip()[:MAX_COMMENT]


def handle_answer(
    session: Session, conversation: Conversation, message: Message, catalog: Catalog, language: str
) -> list[str] | None:
    """The replies to a message while a rating is awaited; None when no rating is awaited (or
    no longer), and the message goes to the normal bot."""
    if conversation.state != RATING_STATE:
        return None
    data = dict(conversation.state_data or {})
    ticket = _rated_ticket(session, data, as_utc(message.created_at) or now())
    if ticket is None:
        _stop_waiting(conversation)
        return None
    parsed = parse_rating(message.body or "")
    if parsed is None:
        if data.get("invalid"):
            _stop_waiting(conversation)  # asked twice: the citizen means something else
            return None
        conversation.state_data = {**data, "invalid": True}
        return [catalog.text("satisfaction_invalid", language)]
    score, comment = parsed
    ticket.satisfaction = score
    if comment:
        ticket.details = {**(ticket.details or {}), "satisfaction_comment": comment}
    ticket.updated_at = now()
    add_event(session, ticket, "rated", rating=score, with_comment=bool(comment))
    _stop_waiting(conversation)
    session.flush()
    return [catalog.text("satisfaction_thanks", language)]


def _rated_ticket(session: Session, data: dict, at: datetime) -> Ticket | None:
    """The resolved, not yet rated ticket the question was about, while it is still fresh."""
    ticket_id = data.get("ticket_id")
    asked = parse_utc(data.get("asked_at"))
    if not isinstance(ticket_id, int) or asked is None or at - asked > EXPIRES_AFTER:
        return None
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.status != "resolved" or ticket.satisfaction is not None:
        return None
    return ticket


def _stop_waiting(conversation: Conversation) -> None:
    conversation.state = "idle"
    # what else the conversation remembers (office chosen, flood guard) stays
    data = conversation.state_data or {}
    conversation.state_data = {k: v for k, v in data.items() if k not in RATING_KEYS}
    conversation.updated_at = now()


def init_app(app: Flask) -> None:
    """Ask for a rating whenever a ticket is resolved (blinker keeps one connection)."""
    ticket_resolved.connect(ask_for_rating)


def ask_for_rating(session: Session, *, ticket: Ticket, at: datetime, **_: Any) -> None:
    """On `tickets.signals.ticket_resolved`: the closing text and the satisfaction question,
    in the citizen's language, as one message when both fit; the conversation then waits for
    the rating (`read_rating` below). Past the 24-hour window nothing may be sent free-form:
    the catalogue's approved closing template goes instead when it has one
    (`ticket_resolved_notice`), without the rating question (asking for a rating days later is
    not worth a template)."""
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    if not window_is_open(conversation.last_inbound_at, at):
        closing_template(session, ticket, conversation)
        return
    contact = conversation.contact
    language = contact.language or "id"
    try:
        catalog = active_catalog()
        bodies = [
            catalog.text("ticket_resolved", language, ticket=ticket.number),
            catalog.text("satisfaction_question", language, ticket=ticket.number),
        ]
    except LookupError:  # no catalogue loaded (CatalogMissing) or no such text
        log.warning("no catalogue texts to close ticket %s; closed silently", ticket.number)
        return
    for body in bodies:
        # the second merges into the first while it is unsent and both fit one message
        queued = queue_notification(
            session,
            provider=contact.provider,
            sender=conversation.channel_address,
            recipient=contact.address,
            body=body,
            conversation_id=conversation.id,
            ticket_id=ticket.id,
        )
        if queued is None:
            return  # the citizen opted out (tickets.consent): no question, so no rating awaited
    # what the conversation remembers (the office chosen, the flood guard's last warning)
    # outlives the state change
    kept = {k: v for k, v in (conversation.state_data or {}).items() if k not in RATING_KEYS}
    conversation.state = RATING_STATE
    conversation.state_data = {**kept, "ticket_id": ticket.id, "asked_at": at.isoformat()}
    conversation.updated_at = at
    session.flush()
