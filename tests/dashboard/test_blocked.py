"""`/dashboard/blocked`: supervisors see every blocked number masked, with the reason, who
blocked it and when, how many messages it sent since (masked latest ones) and unblock it
(CSRF, audited); agents get 403."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.citizens.models import Contact
from pandawa.core.extensions import db
from pandawa.tickets.blocking import block_contact
from tests.harness import csrf_token, reset_throttle, sign_in, with_password
from tests.statements import statements_sent


@pytest.fixture(autouse=True)
def _throttle(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


@pytest.fixture
def blocked(session, clock, make_user, make_ticket, add_message):
    agent = with_password(make_user("ani@example.go.id"))
    agent.name = "Ani Lestari"
    ticket = make_ticket()
    add_message(ticket, body="sebelum diblokir")
    clock.advance(minutes=1)
    contact = session.get(Contact, ticket.contact_id)
    block_contact(session, contact, agent, "Ancaman kepada petugas")
    clock.advance(minutes=5)
    add_message(ticket, body="kamu lagi! 081298765432")
    add_message(ticket, body="jawab!!")
    session.flush()
    return contact, agent


@pytest.fixture
def supervisor(session, make_user):
    return with_password(make_user("sri@example.go.id", role="supervisor"))


def test_supervisors_see_blocked_numbers_masked_with_reason_who_and_count(
    session, client, blocked, supervisor
):
    contact, _agent = blocked
    assert sign_in(client, supervisor.email).status_code == 302
    page = client.get("/dashboard/blocked").get_data(as_text=True)
    assert "Nomor diblokir" in page
    row = page[page.index(f'data-contact="{contact.id}"') :]
    assert contact.address.removeprefix("whatsapp:") not in page  # masked
    assert "Ancaman kepada petugas" in row
    assert "Ani Lestari" in row
    assert "Selasa, 1 Desember 2026 pukul 10.01 WIB" in row  # when, in Indonesian form
    assert '<td class="num messages">2</td>' in row  # since the block, not before
    assert "jawab!!" in row and "081298765432" not in row  # latest messages, masked


def test_agents_get_403(session, client, blocked):
    _contact, agent = blocked
    assert sign_in(client, agent.email).status_code == 302
    assert client.get("/dashboard/blocked").status_code == 403


def test_unblock_is_audited_and_needs_csrf(session, client, blocked, supervisor):
    contact, _agent = blocked
    assert sign_in(client, supervisor.email).status_code == 302
    path = f"/dashboard/blocked/{contact.id}/unblock"
    assert client.post(path).status_code == 400
    token = csrf_token(client, "/dashboard/blocked")
    response = client.post(path, data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Blokir nomor dibuka" in page and 'id="blocked-none"' in page
    session.expire_all()
    assert session.get(Contact, contact.id).blocked_at is None
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "contact_unblocked"))
    assert (audit.actor_id, audit.contact_id) == (supervisor.id, contact.id)


def test_the_page_reads_in_two_queries_however_many_are_blocked(
    session, client, supervisor, make_user, make_ticket, add_message
):
    agent = make_user()
    for _ in range(5):
        ticket = make_ticket()
        block_contact(session, session.get(Contact, ticket.contact_id), agent, "iseng")
        add_message(ticket, body="spam")
    assert sign_in(client, supervisor.email).status_code == 302
    client.get("/dashboard/blocked")  # warm: the session's user, the shell
    with statements_sent(db.engine) as sent:
        page = client.get("/dashboard/blocked").get_data(as_text=True)
    assert page.count("data-contact=") == 5
    reads = [s for s in sent if "FROM message" in s or "FROM contact" in s]
    assert len(reads) <= 2, reads


def test_english(session, client, blocked, supervisor):
    assert sign_in(client, supervisor.email).status_code == 302
    client.set_cookie("lang", "en")
    page = client.get("/dashboard/blocked").get_data(as_text=True)
    assert "Blocked numbers" in page and "Tuesday, 1 December 2026 at 10:01 WIB" in page
