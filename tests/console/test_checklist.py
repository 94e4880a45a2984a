"""The ticket page shows the checklist the bot walked (issue 17, item 10): each check with the
citizen's answer, each document ticked with a link to its stored file (opening it is audited),
a skipped one said to be skipped."""

from __future__ import annotations

import re

import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.tickets.checklist.models import TicketChecklistItem
from pandawa.tickets.models import Queue
from tests.checklist_story import (  # noqa: F401
    checklist_ticket,
    citizen_writes,
    media_dir,
    twilio_fake,
)
from tests.harness import with_password


def checklist_items(page: str) -> list[str]:
    """The checklist's lines as the agent reads them (tags dropped, spaces folded)."""
    block = re.search(r'<ul class="checklist".*?</ul>', page, re.S)
    assert block is not None, "no checklist on the page"
    lines = re.findall(r"<li class=\"checklist-item.*?</li>", block.group(0), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", line).split()) for line in lines]


def test_the_agent_sees_the_checklist_ticked_with_links_to_the_documents(
    session,
    client_as,
    make_user,
    checklist_ticket,  # noqa: F811
):
    ticket = checklist_ticket.ticket
    queue = session.get(Queue, ticket.queue_id)
    agent = with_password(make_user("agen.data@example.go.id", queues=[queue]))
    client = client_as(agent)

    page = client.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)

    assert checklist_items(page) == [
        "✔ Apakah data pada Kartu Keluarga (KK) Bapak/Ibu sudah sesuai dengan data Dukcapil? "
        "terpenuhi Jawaban: ya",
        "✔ KTP-el peserta diterima Buka dokumen (image/jpeg)",
        "✔ Kartu Keluarga (KK) terbaru diterima Buka dokumen (application/pdf)",
        "– dokumen pendukung lain (akta kelahiran, buku nikah, atau akta cerai) (opsional) "
        "dilewati",
    ]
    ktp_link = f"/console/tickets/{ticket.number}/media/{checklist_ticket.ktp_message_id}/0"
    assert f'href="{ktp_link}"' in page

    opened = client.get(ktp_link)
    opened.close()
    assert opened.status_code == 200
    assert opened.mimetype == "image/jpeg"
    assert session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "document_view", AuditEvent.actor_id == agent.id)
    )


def test_the_checklist_in_english_and_a_check_not_met(
    session,
    client_as,
    make_user,
    checklist_ticket,  # noqa: F811
):
    ticket = checklist_ticket.ticket
    row = session.scalar(
        sa.select(TicketChecklistItem).where(
            TicketChecklistItem.ticket_id == ticket.id, TicketChecklistItem.kind == "check"
        )
    )
    row.state, row.answer = "not_met", "tidak"
    session.flush()
    supervisor = with_password(make_user("spv@example.go.id", role="supervisor"))
    client = client_as(supervisor)
    client.set_cookie("lang", "en")

    page = client.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)

    lines = checklist_items(page)
    assert lines[0] == (
        "✘ Do the details on your Family Card (KK) match the civil registry (Dukcapil)? "
        "not met Answer: no"
    )
    assert lines[3].endswith("(optional) skipped")


def test_a_ticket_without_a_checklist_shows_none(session, signed_in, agent, make_ticket):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)

    page = signed_in.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)

    assert 'class="checklist"' not in page
