"""A citizen's erasure takes their checklist answers with the ticket's details (issue 17)."""

from __future__ import annotations

import sqlalchemy as sa

from pandawa.citizens.models import Contact
from pandawa.core.config import current_settings
from pandawa.privacy.erasure import erase_citizen
from pandawa.tickets.checklist.models import TicketChecklistItem
from tests.checklist_story import (  # noqa: F401
    checklist_ticket,
    citizen_writes,
    media_dir,
    twilio_fake,
)


def rows(session, ticket_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(TicketChecklistItem)
        .where(TicketChecklistItem.ticket_id == ticket_id)
    )


def test_erasing_a_citizen_drops_their_checklist_answers(
    session,
    checklist_ticket,  # noqa: F811
):
    ticket = checklist_ticket.ticket
    assert rows(session, ticket.id) == 4
    contact = session.get(Contact, ticket.contact_id)

    erase_citizen(session, current_settings(), [contact])
    session.flush()

    assert rows(session, ticket.id) == 0
