"""Closing tickets whose citizen stopped answering the agent."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa
import yaml

from pandawa.accounts.models import User
from pandawa.catalog.loader import default_catalog_path
from pandawa.catalog.texts import TEMPLATE_SPECS
from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.provisioning.operations import load_catalog, load_default
from pandawa.tickets import idle
from pandawa.tickets.models import Ticket, TicketEvent
from pandawa.tickets.tasks import close_idle as close_idle_task
from tests.harness import at_once

_sid = itertools.count(1)


def _message(conversation, direction: str, **fields) -> Message:
    at = now()
    ours, theirs = conversation.channel_address, conversation.contact.address
    values = {
        "direction": direction,
        "provider": "twilio",
        "provider_message_id": f"SMidle{next(_sid):028d}",
        "sender": theirs if direction == "in" else ours,
        "recipient": ours if direction == "in" else theirs,
        "body": "Mohon kirim foto KTP." if direction == "out" else "Baik, sebentar.",
        "message_type": "text",
        "media": [],
        "extra": {},
        "status": "processed" if direction == "in" else "delivered",
        "attempts": 0,
        "created_at": at,
        "updated_at": at,
        **fields,
    }
    message = Message(**values)
    db.session.add(message)
    db.session.flush()
    return message


def _citizen_writes(conversation, ticket=None, **fields) -> Message:
    conversation.last_inbound_at = now()
    return _message(
        conversation,
        "in",
        conversation_id=conversation.id,
        ticket_id=ticket.id if ticket else None,
        processed_at=now(),
        **fields,
    )


def _agent_replies(conversation, ticket, agent, **fields) -> Message:
    return _message(
        conversation,
        "out",
        conversation_id=conversation.id,
        ticket_id=ticket.id,
        author_id=agent.id,
        **fields,
    )


@pytest.fixture
def waiting_on_citizen(clock, make_user, make_conversation, make_ticket):
    """Make an assigned ticket: the citizen wrote, the agent answered, `hours_ago` ago."""

    def make(hours_ago: float, *, reply_status: str = "delivered"):
        start = now()
        clock.set(start - timedelta(hours=hours_ago, minutes=10))
        agent = make_user()
        conversation = make_conversation()
        ticket = make_ticket(status="assigned", assignee=agent, conversation=conversation)
        _citizen_writes(conversation, ticket)
        clock.advance(minutes=10)
        _agent_replies(conversation, ticket, agent, status=reply_status)
        clock.set(start)
        return ticket

    return make


def _conversation(ticket) -> Conversation:
    return db.session.get(Conversation, ticket.conversation_id)


def _citizen_messages(ticket) -> list[Message]:
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(
                Message.ticket_id == ticket.id,
                Message.direction == "out",
                Message.author_id.is_(None),
            )
            .order_by(Message.id)
        )
    )


def _idle_events(ticket) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "closed_idle"
            )
        )
    )


def test_silent_for_73_hours_is_resolved_once(session, waiting_on_citizen):
    load_default(session)
    ticket = waiting_on_citizen(73)

    assert idle.close_idle(session, now()) == 1
    assert idle.close_idle(session, now()) == 0

    session.refresh(ticket)
    assert ticket.status == "resolved"
    assert ticket.resolved_at == now()
    assert len(_idle_events(ticket)) == 1
    # the citizen last wrote 73 hours ago: WhatsApp's 24-hour window is shut, so the only
    # message is the catalogue's approved template (no free-form text)
    (message,) = _citizen_messages(ticket)
    assert message.content_sid and message.content_variables == {"1": ticket.number}


def test_the_citizen_is_told_while_the_window_is_open(session, waiting_on_citizen):
    load_default(session)
    ticket = waiting_on_citizen(13)

    assert idle.close_idle(session, now(), idle_hours=12) == 1
    assert idle.close_idle(session, now(), idle_hours=12) == 0

    (message,) = _citizen_messages(ticket)
    assert f"*{ticket.number}*" in message.body
    assert message.recipient == _conversation(ticket).contact.address
    assert message.status == "pending"


def test_past_the_window_the_approved_template_when_the_catalogue_has_one(
    session, tmp_path, monkeypatch, waiting_on_citizen
):
    monkeypatch.setitem(TEMPLATE_SPECS, "ticket_idle_closed", ("ticket",))
    document = yaml.safe_load(default_catalog_path().read_text(encoding="utf-8"))
    document["templates"]["ticket_idle_closed"] = {
        "content_sid": "HX" + "7" * 32,
        "variables": ["ticket"],
        "preview": {
            "id": "Tiket {ticket} kami tutup karena belum ada balasan.",
            "en": "Ticket {ticket} was closed as we had no reply.",
        },
    }
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    load_catalog(session, path)
    ticket = waiting_on_citizen(73)

    assert idle.close_idle(session, now()) == 1

    (message,) = _citizen_messages(ticket)
    assert message.content_sid == "HX" + "7" * 32
    assert message.content_variables == {"1": ticket.number}
    assert message.body == f"Tiket {ticket.number} kami tutup karena belum ada balasan."


def test_a_citizen_who_wrote_after_the_reply_keeps_the_ticket(session, clock, waiting_on_citizen):
    load_default(session)
    ticket = waiting_on_citizen(80)
    clock.set(now() - timedelta(hours=75))
    _citizen_writes(_conversation(ticket), ticket)
    clock.set(now() + timedelta(hours=75))

    assert idle.close_idle(session, now()) == 0
    assert ticket.status == "assigned"


def test_a_citizen_message_not_yet_processed_counts_too(session, clock, waiting_on_citizen):
    load_default(session)
    ticket = waiting_on_citizen(74)
    clock.set(now() - timedelta(hours=1))
    # stored by the webhook, not yet routed to the ticket by a worker
    _message(_conversation(ticket), "in", status="received")
    clock.set(now() + timedelta(hours=1))

    assert idle.close_idle(session, now()) == 0
    assert ticket.status == "assigned"


def test_younger_than_the_limit_is_left_alone(session, waiting_on_citizen):
    load_default(session)
    ticket = waiting_on_citizen(71)
    assert idle.close_idle(session, now()) == 0
    assert ticket.status == "assigned"


@pytest.mark.parametrize("status", ["held", "pending", "failed"])
def test_a_reply_that_never_reached_the_citizen_does_not_count(session, waiting_on_citizen, status):
    load_default(session)
    ticket = waiting_on_citizen(100, reply_status=status)
    assert idle.close_idle(session, now()) == 0
    assert ticket.status == "assigned"


def test_the_agents_newest_reply_counts(session, clock, waiting_on_citizen):
    load_default(session)
    ticket = waiting_on_citizen(100)
    clock.set(now() - timedelta(hours=2))
    agent = db.session.get(User, ticket.assignee_id)
    _agent_replies(_conversation(ticket), ticket, agent)
    clock.set(now() + timedelta(hours=2))

    assert idle.close_idle(session, now()) == 0


def test_a_ticket_the_agent_never_answered_is_not_idle(session, clock, make_user, make_ticket):
    load_default(session)
    clock.set(now() - timedelta(hours=100))
    ticket = make_ticket(status="assigned", assignee=make_user())
    clock.set(now() + timedelta(hours=100))

    assert idle.close_idle(session, now()) == 0
    assert ticket.status == "assigned"


def test_the_beat_task(session, waiting_on_citizen):
    load_default(session)
    ticket = waiting_on_citizen(73)
    assert close_idle_task() == 1
    assert db.session.get(Ticket, ticket.id).status == "resolved"


def test_two_beats_at_once_close_each_ticket_once(
    app, live_db, clock, monkeypatch, waiting_on_citizen
):
    monkeypatch.setattr(idle, "BATCH", 1)  # many small batches: the two beats interleave
    with app.app_context():
        load_default(db.session)
        ticket_ids = [waiting_on_citizen(73, reply_status="read").id for _ in range(12)]
        db.session.commit()
        db.session.remove()

    def beat(_: int) -> int:
        return idle.close_idle(db.session, now())

    counts = at_once(beat, range(2), app=app)  # fails on any error in a beat

    assert sum(counts) == len(ticket_ids)
    with app.app_context():
        kinds = db.session.execute(
            sa.select(TicketEvent.ticket_id, sa.func.count())
            .where(TicketEvent.kind == "closed_idle")
            .group_by(TicketEvent.ticket_id)
        ).all()
        assert dict(kinds) == dict.fromkeys(ticket_ids, 1)
        statuses = db.session.scalars(sa.select(Ticket.status).where(Ticket.id.in_(ticket_ids)))
        assert set(statuses) == {"resolved"}


def test_on_the_embedded_default_too(sqlite_app, waiting_on_citizen):
    with sqlite_app.app_context():
        load_default(db.session)
        idle_ticket = waiting_on_citizen(13)
        answered = waiting_on_citizen(13)
        _citizen_writes(_conversation(answered), answered)
        db.session.commit()

        assert idle.close_idle(db.session, now(), idle_hours=12) == 1
        assert idle.close_idle(db.session, now(), idle_hours=12) == 0

        assert db.session.get(Ticket, idle_ticket.id).status == "resolved"
        assert db.session.get(Ticket, answered.id).status == "assigned"
        (message,) = _citizen_messages(idle_ticket)
        assert f"*{idle_ticket.number}*" in message.body
