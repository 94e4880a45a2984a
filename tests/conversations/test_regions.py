"""One number serving several offices: the bot asks the regency, remembers the office, and
the ticket goes to that office's hours and time zone."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from pandawa.citizens.models import Contact, Conversation
from pandawa.core.clock import now
from pandawa.hours.models import Office
from pandawa.provisioning.operations import load_catalog
from pandawa.tickets.models import Ticket
from tests.conversations.test_no_dead_ends import _say

EXAMPLE = Path(__file__).resolve().parents[2] / "pandawa/catalog/examples/multi-office.yaml"
SHARED = "whatsapp:+6281180001600"


def _conversation(session, address: str, channel: str = SHARED) -> Conversation:
    contact = Contact(
        provider="twilio", address=address, name="Andi", language="id", created_at=now()
    )
    session.add(contact)
    session.flush()
    first = session.scalar(sa.select(Office.id).where(Office.whatsapp_address == channel))
    conversation = Conversation(
        contact_id=contact.id,
        channel_address=channel,
        office_id=first,
        state="idle",
        state_data={},
        created_at=now(),
        updated_at=now(),
    )
    session.add(conversation)
    session.flush()
    return conversation


def test_the_citizen_names_a_regency_with_a_typo_and_is_served_there(session):
    load_catalog(session, EXAMPLE)
    conversation = _conversation(session, "whatsapp:+6281300000001")
    assert "kabupaten/kota" in _say(session, conversation, "Halo")
    assert "belum menemukan" in _say(session, conversation, "antah berantah")
    saved = _say(session, conversation, "makasar")
    assert "Makassar" in saved and "\n1. " in saved  # the office, then the menu
    makassar = session.scalar(sa.select(Office).where(Office.code == "MAKASSAR"))
    assert conversation.office_id == makassar.id

    _say(session, conversation, "petugas")
    ticket = session.scalar(sa.select(Ticket).where(Ticket.conversation_id == conversation.id))
    assert ticket.office_id == makassar.id
    # remembered: the next greeting goes straight to the menu
    _say(session, conversation, "batal")
    _say(session, conversation, "ya")
    assert "kabupaten/kota" not in _say(session, conversation, "menu")


def test_a_regency_by_its_number_in_the_list(session):
    load_catalog(session, EXAMPLE)
    conversation = _conversation(session, "whatsapp:+6281300000002")
    listing = _say(session, conversation, "Selamat pagi")
    line = next(line for line in listing.splitlines() if "Kabupaten Keerom" in line)
    _say(session, conversation, line.split(".")[0])
    jayapura = session.scalar(sa.select(Office.id).where(Office.code == "JAYAPURA"))
    assert conversation.office_id == jayapura


def test_a_number_of_its_own_asks_nothing(session):
    load_catalog(session, EXAMPLE)
    conversation = _conversation(session, "whatsapp:+6281300000003", "whatsapp:+6281180001700")
    reply = _say(session, conversation, "Halo")
    assert "kabupaten/kota" not in reply and "\n1. " in reply
