"""A citizen walks the "Perubahan data" checklist through the real webhook and bot (fixture
`checklist_ticket`): yes to the Dukcapil check, NIK, the change, a KTP photo, the KK as a PDF,
the optional document skipped; both files fetched and stored. The console and API tests read
the ticket this leaves (issue 17, item 10)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from pandawa.channels.tasks import fetch_media
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import Ticket
from tests.citizen_story import JPEG, NIK, citizen_writes, media_dir, twilio_fake  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class ChecklistTicket:
    ticket: Ticket
    ktp_message_id: int
    kk_message_id: int


@pytest.fixture
def checklist_ticket(session, citizen_writes, media_dir, twilio_fake) -> ChecklistTicket:  # noqa: F811
    load_default(session)
    session.commit()
    for body in ("halo", "2", "3", "ya", NIK, "Menambahkan anak ke KK"):
        citizen_writes(body)
    ktp = citizen_writes(
        "",
        MessageType="image",
        NumMedia="1",
        MediaUrl0=twilio_fake.add_media(JPEG, "image/jpeg"),
        MediaContentType0="image/jpeg",
    )
    kk = citizen_writes(
        "KK saya",
        MessageType="document",
        NumMedia="1",
        MediaUrl0=twilio_fake.add_media(PDF, "application/pdf"),
        MediaContentType0="application/pdf",
    )
    citizen_writes("lewati")
    fetch_media(ktp)
    fetch_media(kk)
    session.expire_all()
    ticket = session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
    assert ticket is not None and ticket.queue.code == "KEPESERTAAN"
    return ChecklistTicket(ticket, ktp, kk)
