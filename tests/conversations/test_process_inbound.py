"""`conversations.process_inbound` with real commits (`live_db`: no outer transaction, so the
task's commits and a second connection's lock are real): one task drains the conversation
oldest first; a conversation another worker holds makes the task retry after the BUSY
countdown, handling nothing; a repeated delivery of a handled message does nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import pandawa.conversations.tasks as conversation_tasks
from pandawa.citizens.models import Conversation
from pandawa.core.clock import as_utc
from pandawa.core.extensions import db
from tests.conversations.drain import (
    Outcome,
    deliver,
    faq_questions,
    inbound,
    menu_text,
    new_citizen,
    replies,
    run_process_inbound,
)


@pytest.fixture
def ctx(drained_app):
    """In the app's context (`drained_app`: the catalogue committed, the clock moving a second
    per message handled, so `processed_at` tells the order)."""
    with drained_app.app_context():
        yield drained_app
        db.session.remove()


def typed(clock, who: str, body: str) -> int:
    """The citizen writes, 30 s after the last message (Twilio: no send time, arrival stands in)."""
    clock.advance(seconds=30)
    return deliver(who, body)


def hold_conversation(conversation_id: int) -> sa.Connection:
    """Another worker draining the conversation: its row locked in a second connection, in a
    transaction left open until the caller rolls it back."""
    holder = db.engine.connect()
    holder.execute(
        sa.text("SELECT id FROM conversation WHERE id = :id FOR NO KEY UPDATE"),
        {"id": conversation_id},
    )
    return holder


def test_one_task_handles_every_pending_message_of_the_conversation_oldest_first(ctx, clock):
    who = new_citizen()
    [(q1, a1), (q2, a2)] = faq_questions(2)
    ids = [typed(clock, who, body) for body in ("Halo", q1, q2)]

    # the newest message's task comes first (the worker took it first): it drains all three
    assert run_process_inbound(ctx, ids[-1]) == Outcome("SUCCESS", handled=3)
    assert run_process_inbound(ctx, ids[0]) == Outcome("SUCCESS", handled=0)
    assert run_process_inbound(ctx, ids[1]) == Outcome("SUCCESS", handled=0)

    rows = inbound(who)
    handled = [as_utc(m.processed_at) for m in rows]
    assert None not in handled and handled == sorted(set(handled)), "not handled oldest first"
    assert [m.status for m in rows] == ["processed"] * 3
    got = replies(who)
    assert len(got) == 3, got
    assert menu_text() in got[0] and a1 in got[1] and a2 in got[2]


def test_a_conversation_another_worker_holds_is_retried_after_the_busy_countdown(ctx, clock):
    who = new_citizen()
    [(question, answer)] = faq_questions(1)
    first = typed(clock, who, "Halo")
    assert run_process_inbound(ctx, first) == Outcome("SUCCESS", handled=1)
    conversation_id = inbound(who)[0].conversation_id
    waiting = [typed(clock, who, question), typed(clock, who, "Terima kasih, Bu.")]

    holder = hold_conversation(conversation_id)
    try:
        outcome = run_process_inbound(ctx, waiting[0])
        assert outcome == Outcome("RETRY", countdown=conversation_tasks.BUSY_RETRY_SECONDS), (
            "the task went on while another worker held the conversation"
        )
        # nothing handled, nothing sent while the other worker holds it
        assert [m.processed_at for m in inbound(who)][1:] == [None, None]
        assert len(replies(who)) == 1
    finally:
        holder.rollback()
        holder.close()

    # the retry, once the other worker let go: both messages, in order
    clock.advance(seconds=1)
    assert run_process_inbound(ctx, waiting[0]) == Outcome("SUCCESS", handled=2)
    rows = inbound(who)
    assert as_utc(rows[1].processed_at) < as_utc(rows[2].processed_at)
    got = replies(who)
    assert len(got) == 3 and answer in got[1], got


def test_a_repeated_delivery_of_a_handled_message_does_nothing(ctx, clock):
    who = new_citizen()
    message_id = typed(clock, who, "Halo")
    assert run_process_inbound(ctx, message_id) == Outcome("SUCCESS", handled=1)
    state = db.session.scalar(
        sa.select(Conversation.state).where(Conversation.id == inbound(who)[0].conversation_id)
    )
    processed_at = inbound(who)[0].processed_at

    # the broker delivers the same task again (a worker killed before its ack, the sweeper)
    clock.advance(minutes=5)
    assert run_process_inbound(ctx, message_id) == Outcome("SUCCESS", handled=0)

    assert len(replies(who)) == 1, "the citizen was answered twice"
    [row] = inbound(who)
    assert row.processed_at == processed_at
    assert (
        db.session.scalar(
            sa.select(Conversation.state).where(Conversation.id == row.conversation_id)
        )
        == state
    )
