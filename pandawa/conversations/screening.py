"""Before the bot reads a message: a blocked number and the opt-out keywords.

- A blocked number (tickets.blocking): the message is stored and marked processed, nothing is
  answered and no ticket is opened or fed.
- `berhenti` / `stop` (any case, punctuation or emoji around, polite words allowed: "STOP!!",
  "berhenti ya kak 🙏"): the citizen is opted out of every notification and template that is
  not an answer to them (citizens.consent), confirmed once, politely, in their language.
- `mulai` / `start` from an opted-out citizen: opted back in, confirmed. From anyone else those
  words stay what they were (the menu), so the bot reads them.

The message still lands on the citizen's open ticket, so the agent sees it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound
from pandawa.citizens import consent
from pandawa.citizens.models import Conversation
from pandawa.conversations.keywords import normalise
from pandawa.core.clock import as_utc, now
from pandawa.tickets.models import OPEN_STATUSES, Ticket

log = logging.getLogger(__name__)

OPT_OUT = "out"
OPT_IN = "in"
# the whole message, once normalised and polite words dropped → (what, the word recorded)
_PHRASES = {
    "berhenti": (OPT_OUT, "berhenti"),
    "stop": (OPT_OUT, "stop"),
    "berhenti berlangganan": (OPT_OUT, "berhenti"),
    "unsubscribe": (OPT_OUT, "unsubscribe"),
    "mulai": (OPT_IN, "mulai"),
    "mulai lagi": (OPT_IN, "mulai"),
    "start": (OPT_IN, "start"),
    "subscribe": (OPT_IN, "subscribe"),
}
_POLITE = frozenset(
    """tolong mohon please pls dong deh dulu ya kak ka min mimin pak bu gan sis mas mbak aja
    saja""".split()
)
_MAX_CHARS = 120


@dataclass(frozen=True)
class Screened:
    """The message was handled here: no bot turn. `ticket_id`: the open ticket it lands on."""

    ticket_id: int | None


def opt_keyword(body: str | None) -> tuple[str, str] | None:
    """(OPT_OUT or OPT_IN, the keyword) when the whole message is an opt-out/in keyword."""
    if not body or len(body) > _MAX_CHARS:
        return None
    words = [w for w in normalise(body).split() if w not in _POLITE]
    return _PHRASES.get(" ".join(words))


def screen(session: Session, conversation: Conversation, message: Message) -> Screened | None:
    """Handle `message` here (blocked number, opt-out/in keyword) or return None for the bot."""
    contact = conversation.contact
    if consent.is_blocked(contact):
        log.info(
            "message id=%s from blocked contact %s stored, not answered", message.id, contact.id
        )
        return Screened(ticket_id=None)
    found = opt_keyword(message.body)
    if found is None:
        return None
    kind, word = found
    at = as_utc(message.created_at) or now()
    if kind == OPT_IN and not consent.is_opted_out(contact):
        return None  # `mulai`/`start` is the menu for everyone else
    ticket_id = _open_ticket_id(session, conversation)
    if kind == OPT_OUT:
        if consent.opt_out(contact, f"keyword:{word}", at):
            _reply(session, conversation, "opted_out", ticket_id)
            log.info("contact %s opted out (%s)", contact.id, word)
        # already opted out: confirmed once before, nothing more to send
        return Screened(ticket_id)
    consent.opt_in(contact, f"keyword:{word}", at)
    _reply(session, conversation, "opted_in", ticket_id)
    log.info("contact %s opted back in (%s)", contact.id, word)
    return Screened(ticket_id)


def _open_ticket_id(session: Session, conversation: Conversation) -> int | None:
    return session.scalar(
        sa.select(Ticket.id).where(
            Ticket.conversation_id == conversation.id, Ticket.status.in_(OPEN_STATUSES)
        )
    )


def _reply(session: Session, conversation: Conversation, key: str, ticket_id: int | None) -> None:
    contact = conversation.contact
    queue_outbound(
        session,
        provider=contact.provider,
        sender=conversation.channel_address,
        recipient=contact.address,
        body=active_catalog().text(key, contact.language or "id"),
        conversation_id=conversation.id,
        ticket_id=ticket_id,
    )
