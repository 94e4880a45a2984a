"""Release at opening and the closing notice, on the database with the clock set."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import Ticket, TicketEvent
from pandawa.tickets.release import notify_closing, release_due

WIB = timezone(timedelta(hours=7))


def _outbound(session, ticket):
    return list(
        session.scalars(
            sa.select(Message)
            .where(Message.ticket_id == ticket.id, Message.direction == "out")
            .order_by(Message.id)
        )
    )


def test_deferred_tickets_wait_for_opening_and_go_oldest_first(
    session, clock, make_ticket, make_queue, make_conversation
):
    load_default(session)
    queue = make_queue()
    clock.set(datetime(2026, 11, 28, 10, 0, tzinfo=WIB))  # Saturday
    first = make_ticket(queue=queue, status="deferred")
    clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=WIB))
    second = make_ticket(
        queue=queue, status="deferred", conversation=make_conversation(office=first.office)
    )

    assert release_due(session, datetime(2026, 11, 30, 7, 59, 59, tzinfo=WIB)) == 0
    assert release_due(session, datetime(2026, 11, 30, 8, 0, tzinfo=WIB)) == 2
    assert release_due(session, datetime(2026, 11, 30, 8, 0, 20, tzinfo=WIB)) == 0
    session.expire_all()
    assert (first.status, second.status) == ("waiting", "waiting")
    assert first.released_at == second.released_at
    events = session.scalars(
        sa.select(TicketEvent.ticket_id)
        .where(TicketEvent.kind == "released")
        .order_by(TicketEvent.id)
    ).all()
    assert events == [first.id, second.id]


def test_release_past_the_window_sends_the_template_once(session, clock, make_ticket):
    load_default(session)
    clock.set(datetime(2026, 11, 27, 16, 0, tzinfo=WIB))  # Friday afternoon
    ticket = make_ticket(status="deferred")
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=WIB)
    clock.set(monday)
    release_due(session, monday)
    sent = _outbound(session, ticket)
    assert (
        len(sent) == 1 and sent[0].content_sid and sent[0].content_variables == {"1": ticket.number}
    )
    assert ticket.number in sent[0].body  # the preview, for the agent's eyes


def test_a_beat_that_was_down_at_opening_catches_up(session, clock, make_ticket):
    load_default(session)
    clock.set(datetime(2026, 11, 29, 20, 0, tzinfo=WIB))  # Sunday evening
    ticket = make_ticket(status="deferred")
    assert release_due(session, datetime(2026, 11, 30, 9, 17, tzinfo=WIB)) == 1
    assert ticket.status == "waiting"
    body = _outbound(session, ticket)[0].body
    assert ticket.number in body and "petugas" in body  # inside the window: plain text


def test_closing_notice_once_per_closing(session, clock, make_ticket):
    load_default(session)
    clock.set(datetime(2026, 12, 1, 14, 0, tzinfo=WIB))  # Tuesday
    waiting = make_ticket(status="waiting")
    assert notify_closing(session, datetime(2026, 12, 1, 14, 59, tzinfo=WIB)) == 0
    assert notify_closing(session, datetime(2026, 12, 1, 15, 0, 30, tzinfo=WIB)) == 1
    assert notify_closing(session, datetime(2026, 12, 1, 15, 1, tzinfo=WIB)) == 0
    [notice] = _outbound(session, waiting)
    assert "Rabu, 2 Desember 2026 pukul 08.00 WIB" in notice.body
    # the next day's closing tells them again (the ticket still waits)
    assert notify_closing(session, datetime(2026, 12, 2, 15, 0, 30, tzinfo=WIB)) == 1


def test_first_response_records_wait_in_business_and_calendar_time(
    session, clock, make_ticket, make_user
):
    from pandawa.tickets.claims import claim_next
    from pandawa.tickets.operations import reply

    load_default(session)
    clock.set(datetime(2026, 11, 27, 16, 0, tzinfo=WIB))  # Friday 16:00
    ticket = make_ticket(status="deferred")
    agent = make_user(queues=[ticket.queue])
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=WIB))
    release_due(session, datetime(2026, 11, 30, 8, 0, tzinfo=WIB))
    clock.set(datetime(2026, 11, 30, 8, 5, tzinfo=WIB))
    assert claim_next(session, agent).id == ticket.id
    clock.set(datetime(2026, 11, 30, 8, 10, tzinfo=WIB))
    reply(session, ticket, agent, "Selamat pagi, Bapak/Ibu.")
    assert ticket.wait_business_seconds == 600
    assert (
        ticket.wait_seconds
        == (
            datetime(2026, 11, 30, 8, 10, tzinfo=WIB) - datetime(2026, 11, 27, 16, 0, tzinfo=WIB)
        ).total_seconds()
    )
    assert (
        session.scalar(sa.select(Ticket.first_response_at).where(Ticket.id == ticket.id))
        is not None
    )
