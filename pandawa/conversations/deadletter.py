"""Inbound messages whose processing keeps failing: counted, then parked, never retried for
ever and never in the way of the citizen's next message.

Each failed pass over a message adds one to its `attempts` (inbound rows use the column for
nothing else). At MAX_ATTEMPTS the message is parked: status `dead`, the exception's class name
in `error_message` (never the body, never the exception's text: it may quote the body), and
`processed_at` set, so the conversation's drain and the sweeper pass over it and the citizen's
later messages are handled. An admin sees it at /admin/dead-letters and may put it back.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.channels.ingest import PROCESS_INBOUND_TASK
from pandawa.channels.models import Message
from pandawa.core.clock import now
from pandawa.core.jobs import enqueue_after_commit

MAX_ATTEMPTS = 5
DEAD = "dead"


def record_failure(
    session: Session, message_id: int, error: BaseException, conversation_id: int | None = None
) -> int:
    """Count one failed attempt; park the message at MAX_ATTEMPTS, in its conversation when
    known (so a citizen's export and erasure find it). Returns the attempts so far
    (MAX_ATTEMPTS or more: parked). Flushes; the task commits."""
    at = now()
    attempts = session.execute(
        sa.update(Message)
        .where(Message.id == message_id, Message.direction == "in")
        .values(attempts=Message.attempts + 1, updated_at=at)
        .returning(Message.attempts)
    ).scalar_one()
    if attempts >= MAX_ATTEMPTS:
        session.execute(
            sa.update(Message)
            .where(Message.id == message_id)
            .values(
                status=DEAD,
                processed_at=at,
                error_message=type(error).__name__[:300],
                conversation_id=sa.func.coalesce(Message.conversation_id, conversation_id),
            )
        )
    return attempts


def dead_letters(session: Session, limit: int = 200) -> list[Message]:
    """Parked inbound messages, newest first."""
    return list(
        session.scalars(
            sa.select(Message)
            .where(Message.direction == "in", Message.status == DEAD)
            .order_by(Message.updated_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )


def requeue(session: Session, message_id: int) -> bool:
    """Put a parked message back to be processed (after a fix); False when it is not parked.
    Its attempts start again from zero; the task is published after the commit."""
    moved = session.execute(
        sa.update(Message)
        .where(Message.id == message_id, Message.direction == "in", Message.status == DEAD)
        .values(
            status="received",
            processed_at=None,
            attempts=0,
            error_message=None,
            updated_at=now(),
        )
    ).rowcount
    if moved:
        enqueue_after_commit(session, PROCESS_INBOUND_TASK, message_id)
    return bool(moved)
