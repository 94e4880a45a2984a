"""A citizen's checklist answers (issue 17) are in their export and go with their erasure."""

from __future__ import annotations

import io
import json
import zipfile

import sqlalchemy as sa

from pandawa.citizens.models import Contact
from pandawa.core.config import current_settings
from pandawa.privacy.erasure import erase_citizen
from pandawa.privacy.export import build_archive
from pandawa.privacy.records import gather
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


def test_the_export_holds_each_tickets_checklist(
    session,
    checklist_ticket,  # noqa: F811
):
    ticket = checklist_ticket.ticket
    contact = session.get(Contact, ticket.contact_id)

    archive = build_archive(current_settings(), gather(session, [contact]))

    with zipfile.ZipFile(io.BytesIO(archive.archive)) as opened:
        [exported] = json.loads(opened.read("tickets.json"))
    assert [(i["kind"], i["state"]) for i in exported["checklist"]] == [
        ("check", "met"),
        ("document", "received"),
        ("document", "received"),
        ("document", "skipped"),
    ]
    assert exported["checklist"][1]["message_id"] == checklist_ticket.ktp_message_id
