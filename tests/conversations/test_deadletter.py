"""A message whose processing fails every time is parked after MAX_ATTEMPTS (status `dead`,
the error's class name, never the body), is not swept up again, and does not block the same
citizen's later messages: they get their bot reply. Real PostgreSQL, real Redis broker, the
real webhook and task; the one fault injected is a bot that breaks on one message's text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import pandawa.conversations.tasks as conversation_tasks
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.conversations import deadletter
from pandawa.conversations.bot import Bot
from pandawa.conversations.operations import stale_inbound_ids
from pandawa.core.clock import now
from pandawa.core.metrics import REGISTRY
from pandawa.provisioning.operations import load_default
from tests.conversations.drain import run_process_inbound
from tests.harness import CITIZEN, INBOUND_PATH, inbound_form

POISON = "pesan beracun 3174015708900001"


class PoisonError(RuntimeError):
    pass


class BreaksOnPoison(Bot):
    """The real bot, except that one message's text makes it raise every time."""

    def handle(self, message: Message) -> Any:
        if message.body == POISON:
            raise PoisonError(f"cannot handle {message.body!r}")  # the text must not leak
        return super().handle(message)


@pytest.fixture
def poisoned_bot(monkeypatch):
    monkeypatch.setattr(conversation_tasks, "Bot", BreaksOnPoison)


def _reloaded(session, *ids: int) -> list[Message]:
    """The rows as the task left them (`run_process_inbound` ends the session it used, so
    rows loaded before are detached)."""
    return [session.get(Message, message_id) for message_id in ids]


def _inbound(session) -> list[Message]:
    return list(session.scalars(sa.select(Message).where(Message.direction == "in")))


def _replies_to(session, citizen: str) -> list[Message]:
    return list(
        session.scalars(
            sa.select(Message).where(Message.direction == "out", Message.recipient == citizen)
        )
    )


def _dead_total() -> float:
    return REGISTRY.get_sample_value("pandawa_inbound_dead_letters_total") or 0.0


def test_a_poison_message_is_parked_and_the_next_message_is_answered(
    app, client, session, post_signed, poisoned_bot, clock
):
    load_default(session)
    session.commit()
    post_signed(client, INBOUND_PATH, inbound_form("SM" + "1" * 32, Body=POISON))
    post_signed(client, INBOUND_PATH, inbound_form("SM" + "2" * 32, Body="halo"))
    poison_id, later_id = sorted(m.id for m in _inbound(session))
    dead_before = _dead_total()
    clock.advance(minutes=1)  # parked later than it arrived

    outcomes = [run_process_inbound(app, poison_id) for _ in range(deadletter.MAX_ATTEMPTS)]

    # retried while attempts remain, then parked; the drain went on with the later message
    assert [o.state for o in outcomes] == ["RETRY"] * (deadletter.MAX_ATTEMPTS - 1) + ["SUCCESS"]
    poison, later = _reloaded(session, poison_id, later_id)
    assert (poison.status, poison.attempts) == ("dead", deadletter.MAX_ATTEMPTS)
    assert poison.error_message == "PoisonError"  # the class name, never the text
    assert POISON not in (poison.error_message or "") + (poison.flag or "")
    assert poison.body == POISON  # kept for a retry, shown nowhere
    # parked at the clock's instant, on the citizen's conversation
    conversation_id = session.scalar(
        sa.select(Conversation.id).join(Contact).where(Contact.address == CITIZEN)
    )
    assert (poison.processed_at, poison.conversation_id) == (clock.now(), conversation_id)
    assert later.status == "processed"
    assert _replies_to(session, CITIZEN), "the citizen's later message got no reply"
    assert _dead_total() == dead_before + 1


def test_a_parked_message_is_not_swept_up_again_nor_run_again(
    app, client, session, post_signed, poisoned_bot, clock
):
    load_default(session)
    session.commit()
    post_signed(client, INBOUND_PATH, inbound_form("SM" + "3" * 32, Body=POISON))
    [poison_id] = [m.id for m in _inbound(session)]
    for _ in range(deadletter.MAX_ATTEMPTS):
        run_process_inbound(app, poison_id)

    clock.set(now() + timedelta(hours=1))
    assert poison_id not in stale_inbound_ids(session, 60)
    assert run_process_inbound(app, poison_id).state == "SUCCESS"  # a stray redelivery: nothing
    [poison] = _reloaded(session, poison_id)
    assert (poison.status, poison.attempts) == ("dead", deadletter.MAX_ATTEMPTS)


def test_a_message_that_fails_once_then_succeeds_is_not_parked(
    app, client, session, post_signed, monkeypatch
):
    load_default(session)
    session.commit()
    failures = iter([PoisonError("once")])

    class FailsOnce(Bot):
        def handle(self, message: Message) -> Any:
            error = next(failures, None)
            if error is not None:
                raise error
            return super().handle(message)

    monkeypatch.setattr(conversation_tasks, "Bot", FailsOnce)
    post_signed(client, INBOUND_PATH, inbound_form("SM" + "4" * 32, Body="halo"))
    [message_id] = [m.id for m in _inbound(session)]

    assert run_process_inbound(app, message_id).state == "RETRY"
    assert run_process_inbound(app, message_id).state == "SUCCESS"
    [message] = _reloaded(session, message_id)
    assert (message.status, message.attempts) == ("processed", 1)
    assert _replies_to(session, CITIZEN)
