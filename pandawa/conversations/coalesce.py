"""Bursts: a citizen types "halo", "min", "mau tanya", "?" in a few seconds; the bot reads them
together once the citizen pauses, and answers once. Every message is stored and marked
processed as before; only the replies are fewer (each costs the agency money, and one useful
answer is better than four greetings).

No state outside the database, so any number of workers on any number of machines agree:

- A *burst* is the conversation's oldest unprocessed messages, each arriving (`created_at`)
  less than `BOT_COALESCE_SECONDS` after the one before it.
- While the burst's last message is the newest and younger than the pause, the bot waits: the
  task of that newest message puts itself back through the task outbox with the remaining
  time as its countdown; the task of an older message just stops (the newest message's task
  will come). A task that finds the pause over reads the burst, whichever message it was for
  (the sweeper's task too).
- A citizen who never pauses (a prank flood) is not waited for longer than `MAX_WAIT_FACTOR`
  pauses from the burst's first message: the burst is read, and the flood control answers
  it with one "please slow down" (flood.py).

What is read together: in the menu or with nothing under way (states `idle` and `menu`), the
burst's texts joined by newlines, answered as one message. Where the bot waits for a particular
answer (a detail, a region, a rating, ya/tidak) or the burst holds a photo or a menu number, its
messages are still handled one by one, in order, once the pause is over: each is an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.conversations.operations import unprocessed
from pandawa.core.clock import as_utc
from pandawa.core.config import current_settings

# the wait for a pause ends this many pauses after the burst's first message
MAX_WAIT_FACTOR = 5
# at most this many messages are read as one (a flood's text is not worth more)
MAX_BURST = 100
# states where the burst is read as one message (elsewhere each message is an answer)
TOGETHER_STATES = ("idle", "menu")


def burst(
    session: Session, conversation: Conversation, provider: str, pause: float
) -> list[Message]:
    """The oldest unprocessed messages of the conversation that arrived within `pause` of each
    other, in the provider's order; [] when nothing is pending."""
    pending = list(session.scalars(unprocessed(conversation, provider).limit(MAX_BURST + 1)))
    if not pending:
        return []
    gap = timedelta(seconds=pause)
    result = [pending[0]]
    for message in pending[1:MAX_BURST]:
        if as_utc(message.created_at) - as_utc(result[-1].created_at) >= gap:
            break
        result.append(message)
    return result


def wait_seconds(messages: Sequence[Message], newest_id: int, at: datetime, pause: float) -> float:
    """How long to wait before reading `messages` (a burst) at instant `at`; 0: read now.

    `newest_id` is the newest pending message of the conversation: a burst without it is
    complete (the citizen paused after it)."""
    if pause <= 0 or not messages or all(m.id != newest_id for m in messages):
        return 0.0
    first, last = as_utc(messages[0].created_at), as_utc(messages[-1].created_at)
    remaining = (last + timedelta(seconds=pause) - as_utc(at)).total_seconds()
    give_up = (first + timedelta(seconds=pause * MAX_WAIT_FACTOR) - as_utc(at)).total_seconds()
    return max(0.0, min(remaining, give_up))


def newest_pending_id(session: Session, conversation: Conversation, provider: str) -> int | None:
    return session.scalar(
        sa.select(sa.func.max(Message.id)).where(
            Message.direction == "in",
            Message.processed_at.is_(None),
            Message.provider == provider,
            Message.sender == conversation.contact.address,
            Message.recipient == conversation.channel_address,
        )
    )


def read_together(conversation: Conversation, messages: Sequence[Message]) -> list[Message]:
    """The messages to answer as one: the whole burst where that makes sense (see the module),
    else its first message alone."""
    if len(messages) > 1 and conversation.state in TOGETHER_STATES:
        if not any(m.media or (m.body or "").strip().rstrip(".").isdigit() for m in messages):
            return list(messages)
    return list(messages[:1])


def text_of(messages: Sequence[Message]) -> str:
    """The burst as one message: its texts, one per line."""
    return "\n".join(m.body for m in messages if m.body and m.body.strip())


@dataclass(frozen=True)
class Next:
    """What the drain does next: answer `batch` as one message (its last is the one the bot
    answers) after `wait` seconds (0: now). Only the task of `newest_id`, the newest pending
    message, comes back after the wait."""

    batch: list[Message]
    wait: float = 0.0
    newest_id: int | None = None


def next_batch(
    session: Session, conversation: Conversation, provider: str, oldest: Message, at: datetime
) -> Next:
    """From the oldest pending message `oldest`. With `BOT_COALESCE_SECONDS` 0: `oldest` alone,
    at once (no query)."""
    pause = current_settings().bot_coalesce_seconds
    if pause <= 0:
        return Next([oldest])
    messages = burst(session, conversation, provider, pause) or [oldest]
    newest = newest_pending_id(session, conversation, provider) or messages[-1].id
    wait = wait_seconds(messages, newest, at, pause)
    return Next(read_together(conversation, messages), wait, newest)
