"""The citizen is told of a transfer (tickets.transfer_notice): the new queue and office, their
new position and an honest estimate, in their language; through the outbox after the commit;
past the 24-hour window the approved `ticket_transferred_notice` template."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.core.clock import now
from pandawa.provisioning.operations import load_default
from pandawa.tickets import operations
from pandawa.tickets.models import Queue, Ticket
from tests.harness import CITIZEN

WIB = timezone(timedelta(hours=7))
OFFICE = "BPJS Kesehatan Kantor Cabang Jakarta Pusat"


@pytest.fixture
def asked(session, clock, citizen_writes, make_user):
    """`asked(*messages)`: the citizen writes them (the last asks for a person); returns their
    waiting ticket, the PENGADUAN queue and a supervisor."""

    def ask(*bodies: str):
        load_default(session)
        session.commit()
        for body in bodies:
            citizen_writes(body)
        ticket = session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
        target = session.scalar(sa.select(Queue).where(Queue.code == "PENGADUAN"))
        return ticket, target, make_user(role="supervisor")

    return ask


def _online_agent(make_user, queue):
    agent = make_user(queues=[queue])
    agent.last_seen_at = now()
    agent.capacity = 1  # one ticket at once: the citizen behind the first waits a handle time
    return agent


def _notice(session, ticket) -> Message:
    return session.scalars(
        sa.select(Message)
        .where(
            Message.ticket_id == ticket.id,
            Message.direction == "out",
            Message.recipient == CITIZEN,
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).one()


def test_the_citizen_hears_the_new_queue_office_position_and_estimate(
    session, asked, make_user, make_ticket
):
    ticket, target, supervisor = asked("petugas")
    _online_agent(make_user, target)
    ahead = make_ticket(queue=target)  # waiting in PENGADUAN since before our citizen asked
    ahead.released_at = ticket.released_at - timedelta(minutes=20)
    session.flush()

    operations.transfer(session, ticket, supervisor, "PENGADUAN", reason="keluhan layanan")

    body = _notice(session, ticket).body
    assert body == (
        f"Tiket *{ticket.number}* Bapak/Ibu telah dialihkan ke layanan *Pengaduan* di {OFFICE} "
        "agar ditangani oleh petugas yang tepat.\n\n"
        "Saat ini Bapak/Ibu berada di antrean ke-2 dengan perkiraan waktu tunggu sekitar "
        "10 menit. Petugas kami akan segera membalas."
    )


def test_in_english_for_an_english_conversation(session, asked, make_user):
    ticket, target, supervisor = asked("english", "agent")
    _online_agent(make_user, target)
    operations.transfer(session, ticket, supervisor, "PENGADUAN")
    body = _notice(session, ticket).body
    assert body.startswith(
        f"Your ticket *{ticket.number}* has been transferred to *Complaints* at {OFFICE}"
    )
    assert "You are number 1 in the queue; the estimated wait is about 5 minutes." in body


def test_no_agent_online_means_no_invented_estimate(session, asked):
    ticket, _target, supervisor = asked("petugas")
    operations.transfer(session, ticket, supervisor, "PENGADUAN")
    body = _notice(session, ticket).body
    assert "antrean ke-1" in body and "belum dapat memperkirakan waktu tunggu" in body
    assert "perkiraan waktu tunggu sekitar" not in body


def test_a_deferred_ticket_hears_when_the_office_opens(session, clock, asked):
    clock.set(datetime(2026, 12, 1, 19, 0, tzinfo=WIB))  # Tuesday evening: deferred
    ticket, _target, supervisor = asked("petugas")
    assert ticket.status == "deferred"
    operations.transfer(session, ticket, supervisor, "PENGADUAN")
    body = _notice(session, ticket).body
    assert "dialihkan ke layanan *Pengaduan*" in body
    assert "Rabu, 2 Desember 2026 pukul 08.00 WIB" in body
    assert "antrean ke-" not in body  # no position before the office opens


def test_past_the_window_the_approved_template_goes(session, clock, asked):
    ticket, _target, supervisor = asked("petugas")
    clock.advance(hours=25)
    operations.transfer(session, ticket, supervisor, "PENGADUAN")
    notice = _notice(session, ticket)
    assert notice.content_sid == "HX00000000000000000000000000000004"
    assert notice.content_variables == {"1": ticket.number, "2": "Pengaduan", "3": OFFICE}
    assert "dialihkan ke layanan Pengaduan" in notice.body  # the preview the console shows


def test_through_the_api_the_notice_is_sent_after_the_commit(
    session, client, asked, make_token, broker
):
    ticket, _target, supervisor = asked("petugas")
    token = make_token(supervisor)
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/transfer",
        json={"queue": "PENGADUAN"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    notice = _notice(session, ticket)
    assert "dialihkan ke layanan *Pengaduan*" in notice.body
    assert [notice.id] in broker("channels.send_message")
