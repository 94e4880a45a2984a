"""Helpers for the tests of the inbound drain with real commits (test_order.py,
test_process_inbound.py): a citizen's messages stored as a provider delivers them, the task
run as a worker runs it, and what the citizen got back."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from celery.exceptions import Retry
from flask import Flask

from pandawa.catalog.queries import active_catalog
from pandawa.channels.ingest import InboundMessage, store_inbound
from pandawa.channels.models import Message
from pandawa.conversations import keywords
from pandawa.conversations.bot import Bot
from pandawa.conversations.faq import best_answers
from pandawa.core.extensions import db

_numbers = itertools.count(1)


def new_citizen() -> str:
    """A citizen of their own (a fresh conversation), for tests that do not empty the tables
    between hypothesis examples."""
    return f"whatsapp:+62857{next(_numbers):08d}{uuid.uuid4().int % 10}"


def office_number() -> str:
    return active_catalog().offices[0].whatsapp


def deliver(citizen: str, body: str, sent_at: datetime | None = None) -> int:
    """One webhook: the message stored and committed as the provider delivers it, `sent_at`
    being the provider's send time (None: a provider that tells none, like Twilio)."""
    message_id = store_inbound(
        db.session,
        InboundMessage(
            provider="twilio",
            provider_message_id="SM" + uuid.uuid4().hex,
            sender=citizen,
            recipient=office_number(),
            body=body,
            extra={"WaId": citizen.removeprefix("whatsapp:+"), "ProfileName": "Siti Rahayu"},
            sent_at=sent_at,
        ),
    )
    db.session.commit()
    assert message_id is not None
    return message_id


@dataclass(frozen=True)
class Outcome:
    """One delivery of the task: SUCCESS with the number of messages it handled, or RETRY
    with its countdown."""

    state: str
    handled: int = 0
    countdown: float | None = None


def run_process_inbound(app: Flask, message_id: int) -> Outcome:
    """One delivery of `conversations.process_inbound` as a worker runs it (the task's own
    transactions, real commits); a retry is published to the real broker with its countdown."""
    task = app.extensions["celery"].tasks["conversations.process_inbound"]
    task.push_request(
        id=uuid.uuid4().hex,
        args=[message_id],
        kwargs={},
        retries=0,
        is_eager=False,
        called_directly=False,
        delivery_info={"exchange": "", "routing_key": "celery"},
    )
    try:
        return Outcome("SUCCESS", handled=task(message_id))
    except Retry as retry:
        return Outcome("RETRY", countdown=retry.when)
    finally:
        task.pop_request()
        db.session.remove()


def inbound(citizen: str) -> list[Message]:
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.direction == "in", Message.sender == citizen)
            .order_by(Message.id)
        )
    )


def replies(citizen: str) -> list[str]:
    """What the bot wrote to the citizen, in the order the replies were written (and are sent:
    the outbox sends a citizen's older message first)."""
    return list(
        db.session.scalars(
            sa.select(Message.body)
            .where(Message.direction == "out", Message.recipient == citizen)
            .order_by(Message.id)
        )
    )


def faq_questions(count: int) -> list[tuple[str, str]]:
    """`count` (question, answer) pairs of the shipped catalogue whose question, sent as it is,
    gets its own answer (no keyword, ranked first): a reply then tells which message it
    answers."""
    catalog = active_catalog()
    pairs = []
    for entry in catalog.faq:
        question, answer = entry.question.get("id"), entry.answer.get("id")
        matches = best_answers(catalog, question, "id")
        if keywords.classify(question) is None and matches and matches[0].entry is entry:
            pairs.append((question, answer))
    answers = [a for _, a in pairs]
    # no answer inside another, so a reply names one answer only
    pairs = [p for p in pairs if not any(p[1] in a for a in answers if a != p[1])]
    assert len(pairs) >= count, f"only {len(pairs)} FAQ questions answer themselves"
    return pairs[:count]


def menu_text() -> str:
    """The main menu, which the greeting (the reply to a first "Halo") ends with."""
    return active_catalog().render_menu("id", ())


def advancing_bot(clock) -> type[Bot]:
    """The real bot, except that the clock moves one second before every message it handles:
    every `processed_at` then differs and tells the order the messages were handled in."""

    class AdvancingBot(Bot):
        def handle(self, message: Message, text: str | None = None):
            clock.advance(seconds=1)
            return super().handle(message, text)

    return AdvancingBot
