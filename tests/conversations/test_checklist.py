"""A service's eligibility checklist as the citizen meets it (issue 17, item 10): the whole list
in one message, the yes/no checks before the details, the documents after them, then the
handoff with every answer and file on the ticket. Expected texts come from the shipped
catalogue; between two messages the session forgets everything (`expire_all`), as a worker
restarted between them would, so the walk lives in the database."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.conversations import checklist
from pandawa.conversations.bot import Bot
from pandawa.conversations.operations import mark_processed
from pandawa.core.clock import now
from pandawa.provisioning.operations import load_default
from pandawa.tickets.checklist.queries import ticket_checklist
from pandawa.tickets.models import OPEN_STATUSES, Ticket
from tests.factories import inbound

NIK = "3174015708900001"
JPEG = {"url": "https://api.twilio.invalid/Media/ME1", "content_type": "image/jpeg"}
PDF = {"url": "https://api.twilio.invalid/Media/ME2", "content_type": "application/pdf"}
VOICE = {"url": "https://api.twilio.invalid/Media/ME3", "content_type": "audio/ogg"}
_numbers = itertools.count(1)


@pytest.fixture
def catalog(session):
    load_default(session)
    return active_catalog()


@pytest.fixture
def citizen(session, catalog):
    def make(language: str = "id") -> Conversation:
        office = catalog.offices[0]
        contact = Contact(
            provider="twilio",
            address=f"whatsapp:+62878{next(_numbers):08d}",
            name="Siti",
            language=language,
            created_at=now(),
        )
        session.add(contact)
        session.flush()
        conversation = Conversation(
            contact_id=contact.id,
            channel_address=office.whatsapp,
            office_id=session.scalar(
                sa.text("SELECT id FROM office WHERE code = :c"), {"c": office.code}
            ),
            state="menu",
            state_data={"path": []},
            last_inbound_at=now(),
            created_at=now(),
            updated_at=now(),
        )
        session.add(conversation)
        session.flush()
        return conversation

    return make


def say(session, clock, conversation: Conversation, body: str = "", media=()) -> str:
    """What the citizen reads back to `body` (with files `media`), read by a fresh bot after
    the session forgot everything it held."""
    clock.advance(seconds=20)
    message = inbound(conversation, body)
    message.media = list(media)
    message_id, conversation_id = message.id, conversation.id
    session.flush()
    session.expire_all()  # a worker restarted between two messages: only the database remains
    conversation = session.get(Conversation, conversation_id)
    message = session.get(Message, message_id)
    turn = Bot(session, conversation).handle(message)
    mark_processed(message, conversation, turn.ticket_id)
    session.flush()
    sent = session.scalars(
        sa.select(Message.body).where(
            Message.conversation_id == conversation_id,
            Message.direction == "out",
            Message.id > message_id,
        )
    ).all()
    assert len(sent) <= 1
    return sent[0] if sent else ""


def parts(*texts: str) -> str:
    return "\n\n".join(texts)


def open_ticket(session, conversation) -> Ticket | None:
    return session.scalar(
        sa.select(Ticket).where(
            Ticket.conversation_id == conversation.id, Ticket.status.in_(OPEN_STATUSES)
        )
    )


def ask(catalog, item, position: int, language: str = "id") -> str:
    return checklist.question(catalog, item.checklist[position], language)


# -- Perubahan faskes: one check, `on_fail: continue` -----------------------------------------


def test_faskes_lists_the_checklist_asks_the_check_then_the_details(
    session, clock, catalog, citizen
):
    conversation = citizen()
    item = catalog.find_menu_item(("3",))
    nik, facility = item.collect

    reply = say(session, clock, conversation, "3")
    assert reply == parts(
        item.conditions.get("id"), checklist.overview(catalog, item, "id"), ask(catalog, item, 0)
    )
    assert "• Pertanyaan: Apakah Bapak/Ibu sudah terdaftar paling sedikit 3 bulan" in reply
    assert "Mohon balas *ya* atau *tidak*." in reply

    reply = say(session, clock, conversation, "hmm gimana ya")
    assert reply == parts(catalog.text("checklist_check_unclear", "id"), ask(catalog, item, 0))

    assert say(session, clock, conversation, "sudahh") == nik.prompt.get("id")
    assert say(session, clock, conversation, NIK) == facility.prompt.get("id")
    reply = say(session, clock, conversation, "Puskesmas Menteng")

    ticket = open_ticket(session, conversation)
    assert ticket is not None and ticket.number in reply
    assert ticket.queue.code == "PERUBAHAN_FASKES"
    [row] = ticket_checklist(session, ticket.id)
    assert (row.item.kind, row.item.state, row.item.answer) == ("check", "met", "ya")
    assert row.item.text_id == item.checklist[0].question.id


@pytest.mark.parametrize("answer", ["belum", "2", "blm 3 bln", "tidka"])
def test_faskes_not_yet_three_months_explains_and_goes_on_to_an_agent(
    session, clock, catalog, citizen, answer
):
    conversation = citizen()
    item = catalog.find_menu_item(("3",))
    say(session, clock, conversation, "3")

    reply = say(session, clock, conversation, answer)

    assert reply == parts(
        item.checklist[0].explanation.get("id"),
        catalog.text("checklist_not_eligible_continue", "id"),
        item.collect[0].prompt.get("id"),
    )
    say(session, clock, conversation, NIK)
    say(session, clock, conversation, "Klinik Sehat")
    ticket = open_ticket(session, conversation)
    [row] = ticket_checklist(session, ticket.id)
    assert (row.item.state, row.item.answer) == ("not_met", "tidak")


def test_faskes_in_english(session, clock, catalog, citizen):
    conversation = citizen("en")
    item = catalog.find_menu_item(("3",))

    reply = say(session, clock, conversation, "3")
    assert "• Question: Have you been registered at your current facility" in reply
    assert reply.endswith("Please reply *yes* or *no*.")

    reply = say(session, clock, conversation, "no")
    assert reply == parts(
        item.checklist[0].explanation.get("en"),
        "We will still pass your request on, and an officer will look into it.",
        item.collect[0].prompt.get("en"),
    )


def test_english_typed_at_a_check_asks_it_again_in_english(session, clock, catalog, citizen):
    conversation = citizen()
    item = catalog.find_menu_item(("3",))
    say(session, clock, conversation, "3")

    reply = say(session, clock, conversation, "english")

    assert reply == parts("All right, we will continue in English.", ask(catalog, item, 0, "en"))
    assert say(session, clock, conversation, "yes") == item.collect[0].prompt.get("en")


# -- Perubahan data: a check that stops, two required documents and an optional one ----------


def test_data_change_stops_when_the_family_card_does_not_match_dukcapil(
    session, clock, catalog, citizen
):
    conversation = citizen()
    item = catalog.find_menu_item(("2", "3"))
    say(session, clock, conversation, "2")
    reply = say(session, clock, conversation, "3")
    assert "• Foto atau PDF KTP-el peserta (wajib)" in reply
    assert "• Foto atau PDF Kartu Keluarga (KK) terbaru (wajib)" in reply
    assert "(bila ada)" in reply

    reply = say(session, clock, conversation, "tidak")

    assert reply == parts(item.checklist[0].explanation.get("id"), catalog.render_menu("id"))
    assert "Disdukcapil" in reply
    assert open_ticket(session, conversation) is None
    session.refresh(conversation)
    assert (conversation.state, conversation.state_data) == ("menu", {"path": []})


def test_data_change_walks_the_documents_and_puts_them_on_the_ticket(
    session, clock, catalog, citizen
):
    conversation = citizen()
    item = catalog.find_menu_item(("2", "3"))
    ktp, kk, other = (entry.label.get("id") for entry in item.checklist[1:])
    say(session, clock, conversation, "2")
    say(session, clock, conversation, "3")
    assert say(session, clock, conversation, "ya") == item.collect[0].prompt.get("id")
    assert say(session, clock, conversation, NIK) == item.collect[1].prompt.get("id")

    # the details done, the first document is asked for
    reply = say(session, clock, conversation, "Menambah anak ke KK")
    assert reply == ask(catalog, item, 1)
    assert reply == "Mohon kirim *foto atau file PDF KTP-el peserta* yang jelas dan terbaca."

    # a text instead of a photo: asked again, politely
    reply = say(session, clock, conversation, "ktp saya hilang pak")
    assert reply == parts(
        catalog.text("checklist_document_not_file", "id", label=ktp), ask(catalog, item, 1)
    )
    # a required document cannot be skipped
    reply = say(session, clock, conversation, "lewati")
    assert reply == parts(
        catalog.text("checklist_document_required", "id", label=ktp), ask(catalog, item, 1)
    )
    # a voice note is no document either
    reply = say(session, clock, conversation, "", [VOICE])
    assert reply.startswith(catalog.text("checklist_document_not_file", "id", label=ktp))

    ktp_photo = say_and_id(session, clock, conversation, "", [JPEG])
    assert ktp_photo.reply == parts(
        f"Terima kasih, {ktp} sudah kami terima.", ask(catalog, item, 2)
    )
    kk_pdf = say_and_id(session, clock, conversation, "ini KK nya", [PDF])
    assert kk_pdf.reply == parts(
        catalog.text("checklist_document_received", "id", label=kk), ask(catalog, item, 3)
    )
    assert "ketik *lewati* bila tidak ada" in kk_pdf.reply

    reply = say(session, clock, conversation, "gak ada")
    ticket = open_ticket(session, conversation)
    assert ticket is not None
    assert reply.startswith(parts(f"Baik, {other} kami lewati.", "Terima kasih."))
    assert ticket.number in reply
    assert ticket.details["nik"] == NIK

    rows = [row.item for row in ticket_checklist(session, ticket.id)]
    assert [(r.kind, r.state) for r in rows] == [
        ("check", "met"),
        ("document", "received"),
        ("document", "received"),
        ("document", "skipped"),
    ]
    assert (rows[1].message_id, rows[1].media_index) == (ktp_photo.id, 0)
    assert (rows[2].message_id, rows[2].media_index) == (kk_pdf.id, 0)
    on_ticket = set(session.scalars(sa.select(Message.id).where(Message.ticket_id == ticket.id)))
    assert {ktp_photo.id, kk_pdf.id} <= on_ticket


def test_two_photos_in_one_message_fill_the_ktp_and_the_kk(session, clock, catalog, citizen):
    conversation = citizen("en")
    item = catalog.find_menu_item(("2", "3"))
    for body in ("2", "3", "yes", NIK, "Add my baby"):
        say(session, clock, conversation, body)

    both = say_and_id(session, clock, conversation, "", [JPEG, JPEG])
    assert both.reply == parts(
        "Thank you, we have received the member's e-KTP (electronic ID card).",
        "Thank you, we have received the latest Family Card (KK).",
        ask(catalog, item, 3, "en"),
    )
    assert "or type *skip* if you do not" in both.reply

    reply = say(session, clock, conversation, "skip")
    assert reply.startswith(
        "All right, we will skip other supporting documents (birth, marriage or divorce "
        "certificate)."
    )
    ticket = open_ticket(session, conversation)
    rows = [row.item for row in ticket_checklist(session, ticket.id)]
    assert [(r.message_id, r.media_index) for r in rows[1:3]] == [(both.id, 0), (both.id, 1)]


def test_petugas_during_the_checklist_still_reaches_a_person(session, clock, catalog, citizen):
    conversation = citizen()
    say(session, clock, conversation, "3")

    reply = say(session, clock, conversation, "petugas")

    assert reply.startswith(catalog.text("agent_requested", "id"))
    assert open_ticket(session, conversation) is not None


class Said:
    def __init__(self, reply: str, message_id: int) -> None:
        self.reply, self.id = reply, message_id


def say_and_id(session, clock, conversation, body: str, media) -> Said:
    reply = say(session, clock, conversation, body, media)
    last_in = session.scalar(
        sa.select(sa.func.max(Message.id)).where(
            Message.conversation_id == conversation.id, Message.direction == "in"
        )
    )
    return Said(reply, last_in)
