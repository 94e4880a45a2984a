"""Bot-first in a surge (issue 17): a citizen beyond the live cap gets one message with the
ticket number, an honest time and the FAQ answers for the service, and the bot keeps answering
while the ticket is deferred."""

from __future__ import annotations

import sqlalchemy as sa

from pandawa.catalog.queries import active_catalog
from pandawa.catalog.texts import MAX_MESSAGE_CHARS
from pandawa.channels.models import Message
from pandawa.provisioning.operations import load_default
from pandawa.tickets import surge
from pandawa.tickets.models import Queue, Ticket
from tests.conversations.helpers import citizen, say

NEXT_OPENING = "Rabu, 2 Desember 2026 pukul 08.00 WIB"


def faskes_queue(session, clock) -> tuple[Queue, str, list[str]]:
    load_default(session)
    item = next(i for i in active_catalog().menu_items(()) if i.queue == "PERUBAHAN_FASKES")
    queue = session.scalar(sa.select(Queue).where(Queue.code == item.queue))
    queue.live_capacity = 1
    surge.switch(session, queue, True, clock.now())
    # "ya": the service's eligibility check (registered 3 months at the current facility)
    return queue, item.key, ["ya", "3174015708900001", "Mohon bantuan pindah faskes"]


def hand_off(session, key: str, answers: list[str]):
    conversation = citizen(session)
    for body in ["Halo", key, *answers[:-1]]:
        say(session, conversation, body)
    before = session.scalar(sa.select(sa.func.max(Message.id)))
    last = say(session, conversation, answers[-1])
    sent = session.scalars(
        sa.select(Message.body).where(
            Message.conversation_id == conversation.id,
            Message.direction == "out",
            Message.id > before,
        )
    ).all()
    ticket = session.scalar(sa.select(Ticket).where(Ticket.conversation_id == conversation.id))
    return conversation, ticket, last, sent


def test_beyond_the_cap_one_message_with_number_time_and_the_services_faq(session, clock):
    _queue, key, answers = faskes_queue(session, clock)
    _c, first, _last, _sent = hand_off(session, key, answers)
    assert first.status == "waiting"

    conversation, ticket, last, sent = hand_off(session, key, answers)
    assert ticket.status == "deferred" and ticket.surge_deferred_at is not None
    assert sent == [last]  # one message
    assert ticket.number in last and NEXT_OPENING in last and "paling cepat" in last
    assert "Sambil menunggu" in last and "Bagaimana cara pindah faskes" in last
    assert len(last) <= MAX_MESSAGE_CHARS

    # `status` tells the same honest time, not "waiting for office hours" while open
    status = say(session, conversation, "status")
    assert ticket.number in status and "layanan sedang padat" in status
    assert f"paling cepat {NEXT_OPENING}" in status

    # bot-first while deferred: a question is answered, no second ticket
    assert "mobile jkn" in say(session, conversation, "bagaimana cara pindah faskes?").lower()
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.conversation_id == conversation.id)
        )
        == 1
    )


def test_petugas_in_a_surge_points_to_the_menus_faq_in_english(session, clock):
    load_default(session)
    queue = session.scalar(sa.select(Queue).where(Queue.code == active_catalog().default_queue))
    queue.live_capacity = 1
    surge.switch(session, queue, True, clock.now())
    say(session, citizen(session), "petugas")
    conversation = citizen(session)
    conversation.contact.language = "en"
    reply = say(session, conversation, "agent")
    ticket = session.scalar(sa.select(Ticket).where(Ticket.conversation_id == conversation.id))
    assert ticket.status == "deferred"
    assert f"Your ticket number: *{ticket.number}*" in reply
    assert "Wednesday, 2 December 2026 at 08:00 WIB" in reply
