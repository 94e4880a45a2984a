"""A citizen's whole story (fixture `story`), played through the real webhook and the real
operations: the bot collects a NIK, a photo reaches the stored media, an agent replies, notes
and resolves, the citizen rates. The privacy tests export and erase what this leaves."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.channels.tasks import fetch_media
from pandawa.citizens.models import Contact
from pandawa.console.notes import add_note
from pandawa.conversations.tasks import process_inbound
from pandawa.core.config import settings_of
from pandawa.provisioning.operations import load_default
from pandawa.tickets.claims import claim_next
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.operations import reply, resolve
from tests.harness import INBOUND_PATH, inbound_form

NIK = "3174015708900001"
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + bytes(200)
    + b"\xff\xd9"
)
# every way the number may be written or stored, and the part all of them share
NUMBER = "+6281234567890"
NUMBER_FORMS = ("6281234567890", "081234567890", "81234567890")


@dataclass
class Story:
    contact_id: int
    ticket_id: int
    ticket_number: str
    photo_path: Path


@pytest.fixture
def media_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "media"
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions, "pandawa.settings", dataclasses.replace(settings, media_dir=folder)
    )
    return folder


@pytest.fixture
def twilio_fake(fake_twilio):
    fake_twilio.reset()
    yield fake_twilio
    fake_twilio.reset()


@pytest.fixture
def citizen_writes(client, session, clock, post_signed) -> Callable[..., int]:
    """The citizen (CITIZEN in tests.harness) writes to the shipped catalogue's first office;
    the message is processed as the worker does. Returns the message id."""
    counter = iter(range(1, 1000))

    def send(body: str, **form: str) -> int:
        clock.advance(seconds=30)  # a citizen typing, not a flood
        sid = f"SM{next(counter):032d}"
        office = active_catalog().offices[0].whatsapp
        fields = inbound_form(sid, To=office, Body=body, **form)
        assert post_signed(client, INBOUND_PATH, fields).status_code == 200
        message_id = session.scalar(sa.select(Message.id).where(Message.provider_message_id == sid))
        process_inbound(message_id)
        return message_id

    return send


@pytest.fixture
def story(session, clock, citizen_writes, make_user, media_dir, twilio_fake) -> Story:
    load_default(session)
    session.commit()
    citizen_writes("halo")
    citizen_writes("3")
    citizen_writes("ya")  # the service's checklist: registered 3 months (issue 17)
    citizen_writes(NIK)
    citizen_writes("Puskesmas Menteng, Kecamatan Tebet")
    ticket = session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
    url = twilio_fake.add_media(JPEG, "image/jpeg")
    photo = citizen_writes(
        "foto KTP saya",
        MessageType="image",
        NumMedia="1",
        MediaUrl0=url,
        MediaContentType0="image/jpeg",
    )
    fetch_media(photo)
    queue = session.get(Queue, ticket.queue_id)
    agent = make_user("petugas@example.go.id", queues=[queue])
    clock.advance(minutes=5)
    claimed = claim_next(session, agent)
    assert claimed is not None and claimed.id == ticket.id
    reply(session, claimed, agent, "Baik Ibu Siti, NIK 3174015708900001 sudah kami terima.")
    add_note(session, claimed, agent, "Warga 081234567890 minta ditelepon balik.")
    resolve(session, claimed, agent)
    session.commit()
    citizen_writes("5 terima kasih, cepat sekali")
    session.expire_all()
    contact = session.scalar(sa.select(Contact).where(Contact.address == f"whatsapp:{NUMBER}"))
    [item] = session.get(Message, photo).media
    assert item["status"] == "stored", item
    return Story(contact.id, ticket.id, ticket.number, media_dir / item["stored_name"])
