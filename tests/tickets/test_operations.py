"""Ticket writes: what each leaves in the database (rows, times, events, outbound messages)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from pandawa.channels.models import Message
from pandawa.tickets import operations as ops
from pandawa.tickets.models import TicketEvent


def _events(session, ticket) -> list[TicketEvent]:
    return list(
        session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
    )


def _open(session, conversation, queue, **kw):
    return ops.open_ticket(
        session,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        office_id=conversation.office_id,
        queue_id=queue.id,
        **kw,
    )


def test_open_waiting_ticket(session, clock, make_office, make_conversation, make_queue):
    clock.set(clock.now().replace(hour=18, minute=30))  # 03:30 on 2 December in Jayapura (UTC+9)
    office = make_office(timezone="Asia/Jayapura")
    conversation, queue = make_conversation(office=office), make_queue()

    ticket = _open(session, conversation, queue, details={"nik": "3201xxxxxxxxxxxx"})

    assert re.fullmatch(r"PDW-261202-[2-9A-HJ-NP-Z]{6}", ticket.number)
    assert ticket.status == "waiting"
    assert ticket.created_at == clock.now()
    assert ticket.released_at == ticket.created_at
    assert ticket.assignee_id is None
    assert ticket.details == {"nik": "3201xxxxxxxxxxxx"}
    assert [e.kind for e in _events(session, ticket)] == ["created"]


def test_open_deferred_ticket_is_not_released(session, make_conversation, make_queue):
    ticket = _open(session, make_conversation(), make_queue(), status="deferred")
    assert ticket.status == "deferred"
    assert ticket.released_at is None


def test_one_open_ticket_per_conversation(session, make_conversation, make_queue):
    conversation, queue = make_conversation(), make_queue()
    _open(session, conversation, queue)
    with pytest.raises(IntegrityError), session.begin_nested():
        _open(session, conversation, queue)


def test_reply_queues_a_message_to_the_citizen(session, clock, make_queue, make_user, make_ticket):
    agent = make_user()
    ticket = make_ticket(queue=make_queue(), status="assigned", assignee=agent)
    clock.advance(minutes=3)

    messages = ops.reply(session, ticket, agent, "Selamat siang, Ibu Siti.")
    clock.advance(minutes=1)
    ops.reply(session, ticket, agent, "Mohon ditunggu.")

    (message,) = messages
    row = session.get(Message, message.id)
    assert (row.direction, row.status, row.body) == ("out", "pending", "Selamat siang, Ibu Siti.")
    assert row.recipient.startswith("whatsapp:+62812")
    assert row.sender == "whatsapp:+6281100000000"
    assert (row.ticket_id, row.conversation_id, row.author_id) == (
        ticket.id,
        ticket.conversation_id,
        agent.id,
    )
    # the first response is the first reply, not the latest
    assert (ticket.first_response_at - ticket.created_at).total_seconds() == 180
    assert [e.kind for e in _events(session, ticket)] == ["replied", "replied"]


@pytest.mark.parametrize("body", ["", "   \n", None, 42, "x" * 4097])
def test_reply_refuses_empty_or_oversized_bodies(session, make_user, make_ticket, body):
    agent = make_user()
    ticket = make_ticket(status="assigned", assignee=agent)
    with pytest.raises(ops.InvalidBody):
        ops.reply(session, ticket, agent, body)
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_only_the_holder_or_a_supervisor_replies(session, make_queue, make_user, make_ticket):
    queue = make_queue()
    holder, colleague = make_user(queues=[queue]), make_user(queues=[queue])
    supervisor = make_user(role="supervisor")
    ticket = make_ticket(queue=queue, status="assigned", assignee=holder)
    waiting = make_ticket(queue=queue)

    with pytest.raises(ops.NotHolder):
        ops.reply(session, ticket, colleague, "Halo")
    with pytest.raises(ops.NotHolder):
        ops.reply(session, waiting, supervisor, "Halo")  # claim it first
    assert ops.reply(session, ticket, supervisor, "Halo")


def test_closed_tickets_refuse_changes(session, make_user, make_ticket):
    agent = make_user()
    ticket = make_ticket(status="assigned", assignee=agent)
    ops.resolve(session, ticket, agent)
    with pytest.raises(ops.TicketClosed):
        ops.reply(session, ticket, agent, "Halo")
    with pytest.raises(ops.TicketClosed):
        ops.resolve(session, ticket, agent)


def test_transfer_keeps_place_in_time(session, clock, make_queue, make_user, make_ticket):
    source, target = make_queue(), make_queue()
    agent = make_user(queues=[source])
    ticket = make_ticket(queue=source, status="assigned", assignee=agent)
    released = ticket.released_at
    clock.advance(minutes=20)

    ops.transfer(session, ticket, agent, target.code, reason="salah layanan")

    assert (ticket.status, ticket.queue_id, ticket.assignee_id) == ("waiting", target.id, None)
    assert ticket.released_at == released
    event = _events(session, ticket)[-1]
    assert (event.kind, event.actor_id) == ("transferred", agent.id)
    assert event.data == {"from": source.code, "to": target.code, "reason": "salah layanan"}


def test_transfer_of_a_deferred_ticket_stays_deferred(session, make_queue, make_user, make_ticket):
    target = make_queue()
    ticket = make_ticket(status="deferred")
    ops.transfer(session, ticket, make_user(role="supervisor"), target.code)
    assert (ticket.status, ticket.queue_id, ticket.released_at) == ("deferred", target.id, None)


def test_transfer_refusals(session, make_queue, make_user, make_ticket):
    queue = make_queue()
    agent = make_user(queues=[queue])
    held = make_ticket(queue=queue, status="assigned", assignee=agent)
    with pytest.raises(ops.UnknownQueue):
        ops.transfer(session, held, agent, "NOPE")
    with pytest.raises(ops.SameQueue):
        ops.transfer(session, held, agent, queue.code)
    with pytest.raises(ops.NotHolder):
        ops.transfer(session, make_ticket(queue=queue), agent, make_queue().code)
    assert held.status == "assigned"


def test_resolve(session, clock, make_user, make_ticket):
    agent = make_user()
    ticket = make_ticket(status="assigned", assignee=agent)
    clock.advance(minutes=9)
    ops.resolve(session, ticket, agent)
    assert ticket.status == "resolved"
    assert ticket.resolved_at == clock.now()
    assert ticket.assignee_id == agent.id  # who resolved it stays on record
    assert _events(session, ticket)[-1].kind == "resolved"


def test_resolve_tells_the_citizen_in_their_language(
    session, make_user, make_ticket, make_conversation
):
    from pandawa.provisioning.operations import load_default

    load_default(session)
    agent = make_user()
    ticket = make_ticket(status="assigned", assignee=agent)
    english = make_conversation()
    english.contact.language = "en"
    other = make_ticket(status="assigned", assignee=agent, conversation=english)

    ops.resolve(session, ticket, agent)
    ops.resolve(session, other, agent)

    (closing,) = session.scalars(sa.select(Message).where(Message.ticket_id == ticket.id))
    assert closing.status == "pending"
    assert f"Tiket *{ticket.number}* telah diselesaikan" in closing.body
    (closing_en,) = session.scalars(sa.select(Message).where(Message.ticket_id == other.id))
    assert f"Ticket *{other.number}* has been resolved" in closing_en.body
    assert closing_en.recipient == english.contact.address


def test_resolve_without_a_catalogue_sends_nothing(session, make_user, make_ticket):
    agent = make_user()
    ticket = make_ticket(status="assigned", assignee=agent)
    ops.resolve(session, ticket, agent)
    assert ticket.status == "resolved"
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
