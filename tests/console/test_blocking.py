"""`POST /console/tickets/<number>/block`: an agent on a ticket of her queues, or a supervisor;
404 for another queue's ticket (as if it did not exist), CSRF required, a reason required,
audited; the ticket page then says the number is blocked. The API then answers 409 to a reply."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.citizens.models import Contact
from tests.harness import csrf_token


@pytest.fixture
def desk(session, make_queue, make_user, make_ticket):
    queue, other = make_queue("KTP"), make_queue("PAJAK")
    agent = make_user("agen.ktp@example.go.id", queues=[queue])
    outsider = make_user("agen.pajak@example.go.id", queues=[other])
    ticket = make_ticket(queue=queue, status="assigned", assignee=agent)
    return agent, outsider, ticket


def _contact(session, ticket) -> Contact:
    session.expire_all()
    return session.get(Contact, ticket.contact_id)


def _block(client, ticket, reason: str = "Pesan kasar dan ancaman berulang"):
    path = f"/console/tickets/{ticket.number}"
    token = csrf_token(client, path) if client.get(path).status_code == 200 else "x"
    return client.post(f"{path}/block", data={"reason": reason, "csrf_token": token})


def test_the_agent_blocks_from_the_ticket_page(session, client_as, desk):
    agent, _outsider, ticket = desk
    client = client_as(agent)
    page = client.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="block-form"' in page and "Blokir nomor" in page

    response = _block(client, ticket)
    assert response.status_code == 302 and response.location.endswith("/console")
    contact = _contact(session, ticket)
    assert contact.blocked_by_id == agent.id
    assert contact.blocked_reason == "Pesan kasar dan ancaman berulang"
    assert ticket.status == "cancelled"
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "contact_blocked"))
    assert (audit.actor_id, audit.ticket_number) == (agent.id, ticket.number)

    page = client.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="blocked-banner"' in page and "Pesan kasar dan ancaman berulang" in page
    assert 'id="block-form"' not in page


def test_another_queues_ticket_is_404_and_nothing_changes(session, client_as, desk):
    _agent, outsider, ticket = desk
    client = client_as(outsider)
    token = csrf_token(client, "/console")
    response = client.post(
        f"/console/tickets/{ticket.number}/block", data={"reason": "iseng", "csrf_token": token}
    )
    assert response.status_code == 404
    assert _contact(session, ticket).blocked_at is None
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "contact_blocked")
        )
        == 0
    )


def test_without_csrf_or_reason_nothing_is_blocked(session, client_as, desk):
    agent, _outsider, ticket = desk
    client = client_as(agent)
    response = client.post(f"/console/tickets/{ticket.number}/block", data={"reason": "iseng"})
    assert response.status_code == 400
    response = _block(client, ticket, reason="   ")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Alasan pemblokiran wajib diisi" in page
    assert _contact(session, ticket).blocked_at is None


def test_a_supervisor_blocks_any_ticket(session, client_as, desk, make_user):
    _agent, _outsider, ticket = desk
    supervisor = make_user(role="supervisor")
    assert _block(client_as(supervisor), ticket).status_code == 302
    assert _contact(session, ticket).blocked_by_id == supervisor.id


def test_the_api_answers_409_to_a_reply_to_a_blocked_number(
    session, client, client_as, desk, bearer_for
):
    agent, _outsider, ticket = desk
    _block(client_as(agent), ticket)
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/messages",
        json={"body": "Halo?"},
        headers=bearer_for(agent),
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "contact_blocked"


@pytest.fixture
def bearer_for(make_token):
    def make(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(user)}"}

    return make


def test_the_ticket_page_says_when_the_citizen_opted_out(session, client_as, desk, clock):
    agent, _outsider, ticket = desk
    contact = session.get(Contact, ticket.contact_id)
    contact.opted_out_at, contact.opt_out_method = clock.now(), "keyword:berhenti"
    session.flush()
    page = client_as(agent).get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="opted-out-banner"' in page and "balasan petugas tetap terkirim" in page
