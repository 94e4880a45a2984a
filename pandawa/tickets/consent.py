"""The one check every unsolicited message passes: the outbox offers each notification and
template to `channels.signals.notification_due` (release at opening, closing notices, the
closing message and rating question, idle closing, transfer notices, reopening templates…),
and `silence_unwanted` refuses it for a citizen who opted out or whose number is blocked.

Replies (the bot's answers, an agent's reply on the citizen's ticket) never pass here: they
answer the citizen. Connected by `init_app` (create_app), never at import time.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from pandawa.channels.signals import notification_due
from pandawa.citizens.consent import takes_notifications
from pandawa.citizens.models import Contact, Conversation

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    notification_due.connect(silence_unwanted)


def silence_unwanted(
    session: Session,
    *,
    provider: str,
    recipient: str,
    conversation_id: int | None = None,
    **_: Any,
) -> bool:
    """True (silence it) when the citizen opted out or is blocked."""
    contact = _contact(session, provider, recipient, conversation_id)
    if contact is None or takes_notifications(contact):
        return False
    log.info("notification to contact %s not queued: opted out or blocked", contact.id)
    return True


def _contact(
    session: Session, provider: str, recipient: str, conversation_id: int | None
) -> Contact | None:
    if conversation_id is not None:
        # usually in the session already (loaded with its contact): no query per notice
        conversation = session.get(Conversation, conversation_id)
        if conversation is not None:
            return conversation.contact
    return session.scalars(
        sa.select(Contact).where(Contact.provider == provider, Contact.address == recipient)
    ).one_or_none()
