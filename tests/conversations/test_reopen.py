"""A citizen writing again soon after a resolution reaches an online agent on the same ticket;
a plain thank-you does not reopen it."""

from __future__ import annotations

import sqlalchemy as sa

from pandawa.core.clock import now
from pandawa.provisioning.operations import load_default
from pandawa.tickets.claims import claim_next
from pandawa.tickets.models import Ticket
from pandawa.tickets.operations import reply, resolve
from tests.conversations.helpers import citizen, say


def test_writing_again_after_a_resolution_reopens_with_an_online_agent(session, make_user):
    load_default(session)
    conversation = citizen(session)
    say(session, conversation, "petugas")
    ticket = session.scalar(sa.select(Ticket).where(Ticket.conversation_id == conversation.id))
    agent = make_user(queues=[ticket.queue])
    agent.presence, agent.last_seen_at = "online", now()
    assert claim_next(session, agent).id == ticket.id
    reply(session, ticket, agent, "Sudah kami perbaiki, silakan dicoba kembali.")
    resolve(session, ticket, agent)

    assert "terima kasih" in say(session, conversation, "5").lower()
    assert ticket.satisfaction == 5
    say(session, conversation, "Terima kasih ya kak 🙏")
    assert ticket.status == "resolved"  # a thank-you is not a new request

    reopened = say(session, conversation, "Maaf, ternyata masih belum bisa masuk aplikasinya")
    assert ticket.number in reopened
    session.refresh(ticket)
    assert (ticket.status, ticket.assignee_id) == ("assigned", agent.id)
