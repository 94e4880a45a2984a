"""The ticket page an agent works in (issue 16): WhatsApp formatting in the thread, the earlier
tickets of the same citizen, the template that goes first when the 24-hour window is closed."""

from __future__ import annotations

import pytest

from pandawa.core.extensions import db
from tests.harness import sign_in, with_password


@pytest.fixture
def agent(session, make_user, make_queue):
    queue = make_queue("KTP")
    return with_password(make_user("agen.ktp@example.go.id", queues=[queue])), queue


@pytest.fixture
def signed_in(client, agent):
    user, _queue = agent
    assert sign_in(client, user.email).status_code == 302
    return client


def page_of(client, number: str) -> str:
    response = client.get(f"/console/tickets/{number}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- WhatsApp formatting -------------------------------------------------------------------
def test_thread_renders_whatsapp_formatting_and_keeps_script_as_text(
    signed_in, agent, make_ticket, add_message
):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    add_message(ticket, "in", "Mohon *segera* _dibantu_ ~kemarin~ ```KTP-01```")
    add_message(ticket, "in", "*<script>alert(1)</script>*")
    add_message(ticket, "out", "Baik, *Bapak*.", author=user)
    db.session.flush()
    page = page_of(signed_in, ticket.number)
    assert (
        "Mohon <strong>segera</strong> <em>dibantu</em> <s>kemarin</s> <code>KTP-01</code>" in page
    )
    assert "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in page
    assert "<script>alert(1)" not in page
    assert "Baik, <strong>Bapak</strong>." in page
