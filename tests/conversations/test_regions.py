"""One number serving several offices: the bot asks the regency, remembers the office, and
the ticket goes to that office's hours and time zone."""

from __future__ import annotations

import sqlalchemy as sa

from pandawa.citizens.models import Conversation
from pandawa.hours.models import Office
from pandawa.provisioning.operations import load_catalog
from pandawa.tickets.models import Ticket
from tests.conversations.helpers import new_conversation, say
from tests.harness import EXAMPLE

SHARED = "whatsapp:+6281180001600"


def _conversation(session, address: str, channel: str = SHARED) -> Conversation:
    first = session.scalar(sa.select(Office.id).where(Office.whatsapp_address == channel))
    return new_conversation(session, address, channel, first, name="Andi")


def test_the_citizen_names_a_regency_with_a_typo_and_is_served_there(session):
    load_catalog(session, EXAMPLE)
    conversation = _conversation(session, "whatsapp:+6281300000001")
    assert "kabupaten/kota" in say(session, conversation, "Halo")
    assert "belum menemukan" in say(session, conversation, "antah berantah")
    saved = say(session, conversation, "makasar")
    assert "Makassar" in saved and "\n1. " in saved  # the office, then the menu
    makassar = session.scalar(sa.select(Office).where(Office.code == "MAKASSAR"))
    assert conversation.office_id == makassar.id

    say(session, conversation, "petugas")
    ticket = session.scalar(sa.select(Ticket).where(Ticket.conversation_id == conversation.id))
    assert ticket.office_id == makassar.id
    # remembered: the next greeting goes straight to the menu
    say(session, conversation, "batal")
    say(session, conversation, "ya")
    assert "kabupaten/kota" not in say(session, conversation, "menu")


def test_a_regency_by_its_number_in_the_list(session):
    load_catalog(session, EXAMPLE)
    conversation = _conversation(session, "whatsapp:+6281300000002")
    listing = say(session, conversation, "Selamat pagi")
    line = next(line for line in listing.splitlines() if "Kabupaten Keerom" in line)
    say(session, conversation, line.split(".")[0])
    jayapura = session.scalar(sa.select(Office.id).where(Office.code == "JAYAPURA"))
    assert conversation.office_id == jayapura


def test_a_number_of_its_own_asks_nothing(session):
    load_catalog(session, EXAMPLE)
    conversation = _conversation(session, "whatsapp:+6281300000003", "whatsapp:+6281180001700")
    reply = say(session, conversation, "Halo")
    assert "kabupaten/kota" not in reply and "\n1. " in reply
