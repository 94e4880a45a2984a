"""Opt-out holds on every proactive send: a citizen who wrote `berhenti` gets no release,
closing, rating, idle-closing, transfer or reopening message — real rows, through the webhook
and the real operations — and after `mulai` every one of them goes again. Answers still go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.channels.models import Message
from pandawa.citizens.consent import is_opted_out
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.provisioning.operations import load_default
from pandawa.tickets import operations
from pandawa.tickets.claims import claim_next
from pandawa.tickets.idle import close_idle
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.release import notify_closing, release_due
from tests.harness import CITIZEN
from tests.statements import statements_sent

WIB = timezone(timedelta(hours=7))


@dataclass
class World:
    session: object
    clock: object
    ticket: Ticket
    agent: User
    supervisor: User
    other_queue: Queue


@pytest.fixture
def world(session, clock, citizen_writes, make_user) -> World:
    """The citizen asked for a person on Tuesday 10:00 WIB: a waiting ticket."""
    load_default(session)
    session.commit()
    citizen_writes("petugas")
    ticket = session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
    assert ticket is not None and ticket.status == "waiting"
    other = session.scalar(sa.select(Queue).where(Queue.id != ticket.queue_id).limit(1))
    return World(
        session,
        clock,
        ticket,
        make_user(queues=[ticket.queue]),
        make_user(role="supervisor"),
        other,
    )


def _unsolicited_since(session, marker: int) -> list[Message]:
    """What went (or waits to go) to the citizen without an author since `marker`."""
    return list(
        session.scalars(
            sa.select(Message)
            .where(
                Message.direction == "out",
                Message.recipient == CITIZEN,
                Message.id > marker,
                Message.author_id.is_(None),
            )
            .order_by(Message.id)
        )
    )


def _last_id(session) -> int:
    return session.scalar(sa.select(sa.func.max(Message.id))) or 0


def _last_reply(session) -> str:
    return session.scalar(
        sa.select(Message.body)
        .where(Message.direction == "out", Message.recipient == CITIZEN)
        .order_by(Message.id.desc())
        .limit(1)
    )


def _contact(session) -> Contact:
    return session.scalar(sa.select(Contact).where(Contact.address == CITIZEN))


# -- each proactive path, from the world above -------------------------------------------------


def release_at_opening(w: World) -> None:
    w.ticket.status, w.ticket.released_at = "deferred", None
    w.session.flush()
    assert release_due(w.session, now()) == 1


def closing_notice(w: World) -> None:
    w.clock.set(datetime(2026, 12, 1, 15, 30, tzinfo=WIB))
    assert notify_closing(w.session, now()) == 1


def resolution_and_rating(w: World) -> None:
    claim_next(w.session, w.agent)
    operations.reply(w.session, w.ticket, w.agent, "Sudah kami perbaiki.")
    operations.resolve(w.session, w.ticket, w.agent)


def idle_closing(w: World) -> None:
    claim_next(w.session, w.agent)
    for message in operations.reply(w.session, w.ticket, w.agent, "Mohon kirim foto KTP."):
        message.status = "sent"
    w.clock.advance(hours=73)
    assert close_idle(w.session, now()) == 1


def transfer_notice(w: World) -> None:
    operations.transfer(w.session, w.ticket, w.supervisor, w.other_queue.code)


def reopening_template(w: World) -> None:
    claim_next(w.session, w.agent)
    w.clock.advance(hours=25)  # the 24-hour window shut
    operations.reply(w.session, w.ticket, w.agent, "Apakah masih ada yang bisa kami bantu?")


PATHS: list[Callable[[World], None]] = [
    release_at_opening,
    closing_notice,
    resolution_and_rating,
    idle_closing,
    transfer_notice,
    reopening_template,
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
def test_an_opted_out_citizen_gets_nothing_unsolicited(world, citizen_writes, path):
    session = world.session
    citizen_writes("BERHENTI!!! 🙏")
    contact = _contact(session)
    assert is_opted_out(contact) and contact.opt_out_method == "keyword:berhenti"
    marker = _last_id(session)

    path(world)
    session.flush()

    assert _unsolicited_since(session, marker) == []
    session.expire_all()
    conversation = session.get(Conversation, world.ticket.conversation_id)
    assert conversation.state != "satisfaction"  # no question asked, so no rating awaited
    assert world.ticket.reopen_template_sent_at is None


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
def test_mulai_restores_every_notice(world, citizen_writes, path):
    session = world.session
    citizen_writes("berhenti")
    citizen_writes("Mulai 🙂")
    contact = _contact(session)
    assert not is_opted_out(contact) and contact.opt_in_method == "keyword:mulai"
    assert "kembali menerima pemberitahuan" in _last_reply(session)
    marker = _last_id(session)

    path(world)
    session.flush()

    assert _unsolicited_since(session, marker), f"{path.__name__} sent nothing after mulai"


def test_the_agents_answer_still_goes(world, citizen_writes):
    session = world.session
    citizen_writes("stop")
    claim_next(session, world.agent)
    [message] = operations.reply(session, world.ticket, world.agent, "Baik, kami cek dahulu.")
    assert message.status == "pending"  # queued to send: an answer, not a notice
    assert message.recipient == CITIZEN


def test_past_the_window_the_agents_answer_waits_for_the_citizen(world, citizen_writes):
    """No template may ask an opted-out citizen to write; the answer is held and goes as soon
    as they write again."""
    session = world.session
    citizen_writes("stop")
    claim_next(session, world.agent)
    world.clock.advance(hours=30)
    [held] = operations.reply(session, world.ticket, world.agent, "Data sudah kami perbaiki.")
    assert held.status == "held"
    citizen_writes("halo, bagaimana?")
    session.refresh(held)
    assert held.status == "pending"


def test_the_check_costs_no_query_per_ticket_in_a_release(
    session, clock, make_ticket, make_queue, make_office, make_conversation
):
    """The consent check reads the contact the release loaded with the batch's conversations:
    releasing many tickets adds no SELECT per ticket."""
    load_default(session)
    office, queue = make_office(), make_queue()
    for _ in range(12):
        make_ticket(queue=queue, status="deferred", conversation=make_conversation(office=office))
    session.commit()
    session.expire_all()
    with statements_sent(db.engine) as sent:
        assert release_due(session, now()) == 12
    contact_reads = [s for s in sent if "FROM contact" in s and "JOIN" not in s]
    assert contact_reads == [], contact_reads
