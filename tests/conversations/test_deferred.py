"""Outside office hours the ticket waits for opening, and the bot keeps answering meanwhile."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import Ticket
from tests.conversations.helpers import citizen, say

SATURDAY_20_WIB = datetime(2026, 11, 28, 20, 0, tzinfo=timezone(timedelta(hours=7)))


def test_the_bot_keeps_answering_while_the_ticket_waits_for_opening(session, clock):
    clock.set(SATURDAY_20_WIB)
    load_default(session)
    conversation = citizen(session)
    deferred = say(session, conversation, "petugas")
    assert "Senin, 30 November 2026 pukul 08.00 WIB" in deferred
    ticket = session.scalar(sa.select(Ticket).where(Ticket.conversation_id == conversation.id))
    assert ticket.status == "deferred"

    assert "mobile jkn" in say(session, conversation, "bagaimana cara pindah faskes?").lower()
    menu = say(session, conversation, "menu")
    assert "\n1. " in menu
    handoff_key = next(line.split(".")[0] for line in menu.splitlines() if "faskes" in line)
    assert ticket.number in say(session, conversation, handoff_key)  # no second ticket
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.conversation_id == conversation.id)
        )
        == 1
    )

    # what the bot cannot answer is for the agent: silent, and on the ticket
    say(session, conversation, "Foto KTP dan KK sudah saya siapkan, Pak")
    last_in = session.scalar(
        sa.select(Message)
        .where(Message.conversation_id == conversation.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )
    assert last_in.ticket_id == ticket.id
    # every message of the evening reached the ticket
    inbound = session.scalars(
        sa.select(Message.ticket_id).where(
            Message.conversation_id == conversation.id, Message.direction == "in"
        )
    ).all()
    assert inbound[1:] == [ticket.id] * (len(inbound) - 1)
