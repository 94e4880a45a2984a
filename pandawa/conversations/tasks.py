"""Celery tasks of the conversation layer. Each task is the transaction boundary."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import Retry

from pandawa.channels.models import Message
from pandawa.channels.outbox import release_held
from pandawa.conversations import coalesce, deadletter, operations
from pandawa.conversations.bot import Bot
from pandawa.conversations.screening import screen
from pandawa.core import metrics
from pandawa.core.clock import now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.core.jobs import enqueue_after_commit
from pandawa.tickets.notify import note_reopen_answered

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 0.5


@shared_task(name="conversations.process_inbound", bind=True, acks_late=True, max_retries=40)
def process_inbound(self, message_id: int) -> int:
    """Process the conversation of this message, oldest unprocessed message first.

    Idempotent: a message already processed is never processed again, so a redelivered task
    (worker killed mid-task, sweeper, duplicate publish) only finds nothing to do.
    """
    session = db.session
    message = session.get(Message, message_id)
    if message is None or message.direction != "in":
        return 0
    if message.processed_at is not None:
        return 0
    provider = message.provider
    try:
        conversation_id = operations.ensure_conversation(session, message).id
        session.commit()
    except Exception as exc:
        _failed(self, session, message_id, exc)  # retries, or returns once the message is parked
        return 0

    handled = 0
    while True:
        conversation = operations.lock_conversation(session, conversation_id)
        if conversation is None:
            session.rollback()
            # another worker is draining this conversation; come back in case it misses ours
            raise self.retry(countdown=BUSY_RETRY_SECONDS)
        pending = operations.next_unprocessed(session, conversation, provider)
        if pending is None:
            session.commit()
            return handled
        # a burst is read together once the citizen pauses (coalesce.py): until then the task of
        # the newest message comes back through the outbox, the others stop here
        upcoming = coalesce.next_batch(session, conversation, provider, pending, now())
        if upcoming.wait > 0:
            session.commit()
            if upcoming.newest_id == message_id:
                enqueue_after_commit(session, self.name, message_id, countdown=upcoming.wait)
                session.commit()
            return handled
        batch = upcoming.batch
        pending = batch[-1]
        pending_id = pending.id
        try:
            previous_inbound_at = conversation.last_inbound_at
            # a blocked number or an opt-out/in keyword is handled before the bot, each message of
            # a burst in order (a "berhenti" inside a burst still counts)
            turn = None
            for each in batch:
                turn = screen(session, conversation, each) or turn
            if turn is None:
                bot = Bot(session, conversation)
                # a burst is read as one message; a lone message as it always was
                burst = coalesce.text_of(batch) if batch[1:] else None
                turn = bot.handle(pending, burst) if burst is not None else bot.handle(pending)
            for each in batch:
                operations.mark_processed(each, conversation, turn.ticket_id)
            note_reopen_answered(session, conversation.id, previous_inbound_at, pending.created_at)
            # the citizen wrote: the 24-hour window is open again, held agent replies can go
            release_held(session, conversation.id)
            session.commit()
        except Exception as exc:
            # parked after MAX_ATTEMPTS: the drain goes on with the citizen's later messages
            _failed(self, session, pending_id, exc, conversation_id)
            continue
        handled += len(batch)
        log.info("processed inbound message id=%s conversation=%s", pending_id, conversation_id)


def _failed(
    task, session, message_id: int, exc: Exception, conversation_id: int | None = None
) -> None:
    """One failed attempt at a message: count it and retry later, or park the message (dead
    letter) at MAX_ATTEMPTS and return. When even the count cannot be written (the database
    is down) the task retries with a short back-off, no attempt counted."""
    session.rollback()
    if isinstance(exc, Retry):
        raise exc
    try:
        attempts = deadletter.record_failure(session, message_id, exc, conversation_id)
        session.commit()
    except Exception:
        session.rollback()
        # the database itself is down: not the message's fault (no attempt counted); try again
        # soon rather than wait for the sweep, up to max_retries, then the sweep brings it back
        log.warning(
            "inbound message id=%s: database unavailable (%s); retrying",
            message_id,
            type(exc).__name__,
        )
        raise task.retry(countdown=min(2**task.request.retries, 30), exc=exc) from None
    if attempts >= deadletter.MAX_ATTEMPTS:
        metrics.INBOUND_DEAD_LETTERS.inc()
        log.error(
            "inbound message id=%s parked as dead letter after %s attempts (%s)",
            message_id,
            attempts,
            type(exc).__name__,
        )
        return
    log.warning(
        "inbound message id=%s failed (attempt %s of %s, %s); retrying",
        message_id,
        attempts,
        deadletter.MAX_ATTEMPTS,
        type(exc).__name__,
    )
    raise task.retry(countdown=min(2**attempts, 60), exc=exc)


@shared_task(name="conversations.sweep_inbound", acks_late=True)
def sweep_inbound() -> int:
    """Re-enqueue conversations whose messages sat unprocessed (a task the broker lost, a
    worker killed past its redelivery)."""
    settings = current_settings()
    ids = operations.stale_inbound_ids(db.session, settings.sweep_after_seconds)
    for message_id in ids:
        enqueue_after_commit(db.session, "conversations.process_inbound", message_id)
    db.session.commit()
    if ids:
        log.warning("sweeper re-enqueued %s stranded conversations", len(ids))
    return len(ids)
