"""Blocking a number (tickets.blocking): the open ticket closes, held replies are dropped, the
act is audited; afterwards the citizen's messages are stored and processed but never answered
nor queued, however many; lifting the block lets the bot answer again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.provisioning.operations import load_default
from pandawa.tickets import operations
from pandawa.tickets.blocking import InvalidReason, block_contact, unblock_contact
from pandawa.tickets.claims import claim_next
from pandawa.tickets.models import Ticket, TicketEvent
from tests.harness import CITIZEN


@pytest.fixture
def held_ticket(session, clock, citizen_writes, make_user):
    """An agent holds the citizen's ticket and replied past the window (held, template sent)."""
    load_default(session)
    session.commit()
    citizen_writes("petugas")
    ticket = session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
    agent = make_user(queues=[ticket.queue])
    claim_next(session, agent)
    clock.advance(hours=25)
    [held] = operations.reply(session, ticket, agent, "Mohon tunggu.")
    assert held.status == "held"
    return ticket, agent, held


def _contact(session) -> Contact:
    return session.scalar(sa.select(Contact).where(Contact.address == CITIZEN))


def _outbound_count(session) -> int:
    return session.scalar(
        sa.select(sa.func.count()).where(Message.direction == "out", Message.recipient == CITIZEN)
    )


def test_blocking_closes_the_ticket_drops_held_replies_and_is_audited(session, held_ticket):
    ticket, agent, held = held_ticket
    contact = _contact(session)
    assert block_contact(
        session,
        contact,
        agent,
        "  Kata-kata kasar berulang, 0812 3456 7890  ",
        ticket_number=ticket.number,
    )
    session.flush()
    session.expire_all()
    assert ticket.status == "cancelled" and ticket.cancelled_at is not None
    event = session.scalar(
        sa.select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id.desc())
    )
    assert (event.kind, event.actor_id, event.data) == ("cancelled", agent.id, {"by": "block"})
    assert (held.status, held.error_code) == ("failed", "blocked")
    contact = _contact(session)
    assert contact.blocked_reason == "Kata-kata kasar berulang, 0812 3456 7890"
    assert contact.blocked_by_id == agent.id
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "contact_blocked"))
    assert (audit.actor_id, audit.contact_id, audit.ticket_number) == (
        agent.id,
        contact.id,
        ticket.number,
    )
    assert "3456 7890" not in audit.details["reason"]  # masked in the audit
    # a second block changes nothing (the first reason stands)
    assert not block_contact(session, contact, agent, "lagi")
    assert _contact(session).blocked_reason.startswith("Kata-kata")


def test_a_reason_is_required(session, held_ticket):
    _ticket, agent, _held = held_ticket
    with pytest.raises(InvalidReason):
        block_contact(session, _contact(session), agent, "   ")
    with pytest.raises(InvalidReason):
        block_contact(session, _contact(session), agent, "x" * 501)
    assert _contact(session).blocked_at is None


def test_a_blocked_number_is_stored_never_answered_nor_queued(session, held_ticket, citizen_writes):
    ticket, agent, held = held_ticket
    block_contact(session, _contact(session), agent, "iseng", ticket_number=ticket.number)
    session.commit()
    before = _outbound_count(session)
    ids = [citizen_writes(body) for body in ("dasar bodoh", "petugas", "menu", "berhenti", "1")]

    rows = session.scalars(sa.select(Message).where(Message.id.in_(ids))).all()
    assert len(rows) == 5 and all(r.processed_at is not None for r in rows)
    assert all(r.ticket_id is None for r in rows)
    assert _outbound_count(session) == before  # not one reply, no template
    open_tickets = session.scalar(
        sa.select(sa.func.count()).where(Ticket.status.in_(("deferred", "waiting", "assigned")))
    )
    assert open_tickets == 0
    session.refresh(held)
    assert held.status == "failed"  # the held reply did not go when they wrote


def test_the_agent_cannot_reply_to_a_blocked_number(session, held_ticket, make_user):
    ticket, agent, _held = held_ticket
    supervisor = make_user(role="supervisor")
    block_contact(session, _contact(session), agent, "ancaman")
    with pytest.raises(operations.ContactBlocked):
        operations.reply(session, ticket, supervisor, "Halo?")


def test_after_unblocking_the_bot_answers_again(session, held_ticket, citizen_writes, make_user):
    _ticket, agent, _held = held_ticket
    supervisor = make_user(role="supervisor")
    block_contact(session, _contact(session), agent, "iseng")
    session.commit()
    assert unblock_contact(session, _contact(session), supervisor, address="10.0.0.9")
    session.commit()
    assert not unblock_contact(session, _contact(session), supervisor)
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "contact_unblocked"))
    assert (audit.actor_id, audit.address, audit.details["reason"]) == (
        supervisor.id,
        "10.0.0.9",
        "iseng",
    )
    before = _outbound_count(session)
    citizen_writes("halo")
    assert _outbound_count(session) == before + 1
