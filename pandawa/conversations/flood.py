"""Flood control: a citizen sending faster than the bot should answer.

Every message is stored anyway (the webhook already did); the question is only whether the bot
answers it. The rate is counted in the database, where the messages are: any worker on any
machine sees the same count, and nothing is lost when Redis restarts. A message is judged by the
messages that arrived in the window before it (its own `created_at`, not the time it is
processed), so a backlog worked off after a broker outage is not mistaken for a flood.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.core.clock import as_utc, parse_utc
from pandawa.core.config import current_settings

log = logging.getLogger(__name__)

OK = "ok"
WARN = "warn"  # send one `slow_down` text
SILENT = "silent"  # store and mark processed, but the bot does not answer
# at most one polite message per minute, whatever the counting window
MIN_WARN_INTERVAL = timedelta(minutes=1)
STATE_KEY = "slow_down_at"


def check_flood(
    session: Session, conversation: Conversation, message: Message, at: datetime
) -> str:
    """ "ok", "warn" (first message over the rate in a while) or "silent" (over the rate, the
    citizen was already asked to slow down). `at` is now; a "warn" is remembered on the
    conversation (`state_data["slow_down_at"]`), so the next one comes a minute later at most.
    """
    settings = current_settings()
    window = timedelta(seconds=settings.flood_window_seconds)
    if _recent_count(session, message, window, settings.flood_max_messages + 1) <= (
        settings.flood_max_messages
    ):
        return OK
    data = dict(conversation.state_data or {})
    warned = parse_utc(data.get(STATE_KEY))
    if warned is not None and as_utc(at) - warned < max(window, MIN_WARN_INTERVAL):
        return SILENT
    data[STATE_KEY] = as_utc(at).isoformat()
    conversation.state_data = data
    log.info("flood on conversation %s: asked the citizen to slow down", conversation.id)
    return WARN


def _recent_count(session: Session, message: Message, window: timedelta, cap: int) -> int:
    """Inbound messages from this citizen to this number in the window up to `message`
    (itself included), counted up to `cap`: a flood of thousands costs no more than the limit."""
    sent_at = as_utc(message.created_at)
    assert sent_at is not None
    recent = (
        sa.select(Message.id)
        .where(
            Message.direction == "in",
            Message.sender == message.sender,
            Message.recipient == message.recipient,
            Message.provider == message.provider,
            Message.created_at > sent_at - window,
            Message.created_at <= sent_at,
            # messages stored in the same instant count in arrival order
            Message.id <= message.id,
        )
        .limit(cap)
        .subquery()
    )
    return session.scalar(sa.select(sa.func.count()).select_from(recent)) or 0
