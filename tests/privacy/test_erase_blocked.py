"""Erasing a blocked citizen erases the block's reason too (staff's words about the person)."""

from __future__ import annotations

from pandawa.citizens.models import Contact
from pandawa.core.config import current_settings
from pandawa.privacy.erasure import erase_citizen
from pandawa.tickets.blocking import block_contact


def test_the_reason_goes_with_the_citizen(session, make_ticket, make_user):
    ticket = make_ticket()
    contact = session.get(Contact, ticket.contact_id)
    agent = make_user()
    block_contact(session, contact, agent, "Siti dari Tebet, kasar sekali")
    erase_citizen(session, current_settings(), [contact])
    session.flush()
    session.expire_all()
    contact = session.get(Contact, ticket.contact_id)
    assert contact.erased_at is not None and contact.blocked_reason is None
    assert contact.blocked_at is not None and contact.blocked_by_id == agent.id
