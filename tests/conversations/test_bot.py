"""The bot as a citizen meets it: for a message in a given state, the reply they read and the
state the conversation moves to. Expected texts come from the shipped catalogue."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.conversations import checklist
from pandawa.conversations.bot import Bot
from pandawa.conversations.operations import mark_processed
from pandawa.conversations.salutation import salutation_key
from pandawa.core.clock import now
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import OPEN_STATUSES, Ticket
from tests.factories import inbound

VALID_NIK = "3174015708900001"
_numbers = itertools.count(1)


@pytest.fixture
def catalog(session):
    load_default(session)
    return active_catalog()


@pytest.fixture
def citizen(session, catalog):
    """A new citizen, writing to the shipped catalogue's office, in Bahasa Indonesia."""

    def make(state: str = "idle", state_data: dict | None = None) -> Conversation:
        office = catalog.offices[0]
        contact = Contact(
            provider="twilio",
            address=f"whatsapp:+62877{next(_numbers):08d}",
            name="Budi",
            language="id",
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
            state=state,
            state_data=state_data or {},
            last_inbound_at=now(),
            created_at=now(),
            updated_at=now(),
        )
        session.add(conversation)
        session.flush()
        return conversation

    return make


def welcome(catalog, language: str = "id") -> str:
    """The greeting as the office's local time words it ("Selamat pagi, Bapak/Ibu. …")."""
    salutation = catalog.text(salutation_key(now(), catalog.offices[0].timezone), language)
    return f"{salutation} {catalog.text('greeting', language, name='Budi')}"


def say(session, clock, conversation: Conversation, body: str) -> str:
    """What the citizen reads back (one WhatsApp message; "" when the bot stays quiet)."""
    clock.advance(seconds=5)  # a citizen typing, not a flood
    message = inbound(conversation, body)
    turn = Bot(session, conversation).handle(message)
    mark_processed(message, conversation, turn.ticket_id)
    session.flush()
    sent = session.scalars(
        sa.select(Message.body).where(
            Message.conversation_id == conversation.id,
            Message.direction == "out",
            Message.id > message.id,
        )
    ).all()
    assert len(sent) <= 1
    return sent[0] if sent else ""


def open_ticket(session, conversation: Conversation) -> Ticket | None:
    return session.scalar(
        sa.select(Ticket).where(
            Ticket.conversation_id == conversation.id, Ticket.status.in_(OPEN_STATUSES)
        )
    )


def reply_of(*parts: str) -> str:
    return "\n\n".join(parts)


# -- no ticket: greeting, menu and its options ----------------------------------------------


def test_any_first_message_gets_the_greeting_and_the_main_menu(session, clock, catalog, citizen):
    conversation = citizen()

    reply = say(session, clock, conversation, "halo")

    assert reply == reply_of(welcome(catalog), catalog.render_menu("id"))
    assert (conversation.state, conversation.state_data) == ("menu", {"path": []})


def test_a_number_not_on_the_menu_says_so_and_shows_the_menu_again(
    session, clock, catalog, citizen
):
    conversation = citizen("menu", {"path": []})

    reply = say(session, clock, conversation, "9")

    assert reply == reply_of(catalog.text("unknown_choice", "id"), catalog.render_menu("id"))
    assert (conversation.state, conversation.state_data) == ("menu", {"path": []})


def test_a_submenu_option_opens_the_submenu(session, clock, catalog, citizen):
    conversation = citizen("menu", {"path": []})

    reply = say(session, clock, conversation, "2.")  # a trailing dot is still the number

    assert reply == catalog.render_menu("id", ("2",))
    assert (conversation.state, conversation.state_data) == ("menu", {"path": ["2"]})


def test_an_answer_option_answers_and_stays_in_the_menu(session, clock, catalog, citizen):
    conversation = citizen("menu", {"path": ["2"]})

    reply = say(session, clock, conversation, "1")

    item = catalog.find_menu_item(("2", "1"))
    assert reply == reply_of(item.answer.get("id"), catalog.text("answer_footer", "id"))
    assert (conversation.state, conversation.state_data) == ("menu", {"path": ["2"]})
    assert open_ticket(session, conversation) is None


def test_a_free_question_gets_the_faq_answer(session, clock, catalog, citizen):
    conversation = citizen("menu", {"path": []})

    reply = say(session, clock, conversation, "bagaimana cara pindah faskes?")

    assert "mobile jkn" in reply.lower()
    assert reply.endswith(catalog.text("answer_footer", "id"))
    assert conversation.state == "menu"


def test_status_or_cancel_without_a_ticket_says_there_is_none(session, clock, catalog, citizen):
    for keyword in ("status", "batal"):
        conversation = citizen("menu", {"path": ["4"]})

        assert say(session, clock, conversation, keyword) == catalog.text("no_open_ticket", "id")
        assert (conversation.state, conversation.state_data) == ("menu", {"path": []})


def test_english_switches_the_language_and_shows_the_menu_in_english(
    session, clock, catalog, citizen
):
    conversation = citizen()

    reply = say(session, clock, conversation, "english")

    assert conversation.contact.language == "en"
    assert reply == reply_of(catalog.text("language_changed", "en"), catalog.render_menu("en"))
    assert conversation.state == "menu"


# -- collecting the details of a service, then the handoff ----------------------------------


def test_a_service_asks_its_details_one_by_one_then_opens_a_ticket(
    session, clock, catalog, citizen
):
    conversation = citizen("menu", {"path": []})
    item = catalog.find_menu_item(("3",))
    nik, facility = item.collect

    reply = say(session, clock, conversation, "3")
    # the service's checklist first (issue 17; tests/conversations/test_checklist.py)
    assert reply.startswith(item.conditions.get("id"))
    assert conversation.state == "checklist"
    assert say(session, clock, conversation, "ya") == nik.prompt.get("id")
    assert conversation.state == "collect"
    assert conversation.state_data["step"] == 0

    reply = say(session, clock, conversation, "1234")  # not a NIK
    # what is wrong, said plainly (a catalogue's own `invalid` text would come instead)
    invalid = nik.invalid.get("id") if nik.invalid else catalog.text("nik_length", "id", count=4)
    assert reply == reply_of(invalid, nik.prompt.get("id"))
    assert conversation.state_data["step"] == 0

    assert say(session, clock, conversation, VALID_NIK) == facility.prompt.get("id")
    assert conversation.state_data["details"] == {"nik": VALID_NIK}

    reply = say(session, clock, conversation, "Puskesmas Menteng")
    ticket = open_ticket(session, conversation)
    assert ticket is not None and ticket.number in reply
    assert ticket.queue.code == item.queue
    assert ticket.details == {
        "service": item.label_for("id"),
        "nik": VALID_NIK,
        "new_facility": "Puskesmas Menteng",
    }
    assert (conversation.state, conversation.state_data) == ("idle", {})


def test_petugas_hands_the_citizen_to_the_default_queue(session, clock, catalog, citizen):
    conversation = citizen("collect", {"item": ["3"], "step": 1, "details": {}})

    reply = say(session, clock, conversation, "petugas")

    ticket = open_ticket(session, conversation)
    assert ticket is not None and ticket.queue.code == catalog.default_queue
    assert reply.startswith(catalog.text("agent_requested", "id"))
    assert ticket.number in reply
    assert (conversation.state, conversation.state_data) == ("idle", {})


def test_what_the_conversation_keeps_survives_a_change_of_state(session, clock, catalog, citizen):
    conversation = citizen("menu", {"path": ["2"], "office_chosen": True})

    say(session, clock, conversation, "menu")

    assert conversation.state_data == {"office_chosen": True, "path": []}


# -- an open ticket: status, cancel, and quiet otherwise ------------------------------------


@pytest.fixture
def with_ticket(session, clock, citizen):
    def make() -> tuple[Conversation, Ticket]:
        conversation = citizen()
        say(session, clock, conversation, "petugas")
        ticket = open_ticket(session, conversation)
        assert ticket is not None
        return conversation, ticket

    return make


def test_with_an_open_ticket_the_bot_stays_quiet(session, clock, with_ticket):
    conversation, ticket = with_ticket()

    assert say(session, clock, conversation, "Nomor kartu saya hilang, Pak") == ""
    assert conversation.state == "idle"
    assert open_ticket(session, conversation).id == ticket.id


def test_menu_with_an_open_ticket_points_to_the_ticket(session, clock, catalog, with_ticket):
    conversation, ticket = with_ticket()

    reply = say(session, clock, conversation, "menu")

    assert reply == catalog.text("ticket_already_open", "id", ticket=ticket.number)
    assert conversation.state == "idle"


def test_status_tells_the_ticket_its_queue_and_its_status(session, clock, catalog, with_ticket):
    conversation, ticket = with_ticket()

    reply = say(session, clock, conversation, "status")

    assert reply.startswith(
        catalog.text(
            "ticket_status",
            "id",
            ticket=ticket.number,
            queue=ticket.queue.name("id"),
            status=catalog.text(f"status_{ticket.status}", "id"),
        )
    )
    assert conversation.state == "idle"


def test_batal_then_ya_cancels_the_ticket(session, clock, catalog, with_ticket):
    conversation, ticket = with_ticket()

    reply = say(session, clock, conversation, "batal")
    assert reply == catalog.text("cancel_confirm", "id", ticket=ticket.number)
    assert (conversation.state, conversation.state_data) == (
        "confirm_cancel",
        {"ticket_id": ticket.id},
    )

    reply = say(session, clock, conversation, "ya")
    assert reply == reply_of(
        catalog.text("ticket_cancelled", "id", ticket=ticket.number),
        catalog.text("menu_footer", "id"),
    )
    assert (conversation.state, conversation.state_data) == ("idle", {})
    assert open_ticket(session, conversation) is None


def test_batal_then_anything_else_keeps_the_ticket(session, clock, catalog, with_ticket):
    conversation, ticket = with_ticket()
    say(session, clock, conversation, "batal")

    reply = say(session, clock, conversation, "tidak jadi")

    assert reply == catalog.text("cancel_aborted", "id", ticket=ticket.number)
    assert conversation.state == "idle"
    assert open_ticket(session, conversation).id == ticket.id


# -- properties over the whole menu ----------------------------------------------------------

MENU_PATHS = st.lists(st.sampled_from([str(n) for n in range(10)]), min_size=0, max_size=1)


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=MENU_PATHS, choice=st.integers(min_value=0, max_value=12))
def test_any_number_typed_in_a_menu_does_what_the_catalogue_says(
    session, clock, catalog, citizen, path, choice
):
    """The reply and the next state follow the option's kind: a submenu opens, an answer is
    given, a service starts collecting (or hands off at once), an unknown number says so."""
    if path and catalog.find_menu_item(tuple(path)) is None:
        path = []
    if path and not catalog.find_menu_item(tuple(path)).submenu:
        path = []
    conversation = citizen("menu", {"path": path})

    reply = say(session, clock, conversation, str(choice))

    item = catalog.find_menu_item((*path, str(choice)))
    if item is None:
        assert reply == reply_of(
            catalog.text("unknown_choice", "id"), catalog.render_menu("id", path)
        )
        assert conversation.state_data == {"path": path}
    elif item.kind == "submenu":
        assert reply == catalog.render_menu("id", (*path, item.key))
        assert conversation.state_data == {"path": [*path, item.key]}
    elif item.kind == "answer":
        assert reply == reply_of(item.answer.get("id"), catalog.text("answer_footer", "id"))
        assert conversation.state_data == {"path": path}
    elif item.checklist:
        # the whole checklist in one message, then its first question (issue 17)
        conditions = [item.conditions.get("id")] if item.conditions else []
        assert reply.startswith(reply_of(*conditions, checklist.overview(catalog, item, "id")))
        assert conversation.state == "checklist"
    elif item.collect:
        conditions = [item.conditions.get("id")] if item.conditions else []
        assert reply == reply_of(*conditions, item.collect[0].prompt.get("id"))
        assert conversation.state == "collect"
        assert conversation.state_data == {"item": [*path, item.key], "step": 0, "details": {}}
    else:
        ticket = open_ticket(session, conversation)
        assert ticket is not None and ticket.queue.code == item.queue
        assert ticket.number in reply
        assert (conversation.state, conversation.state_data) == ("idle", {})


@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    keyword=st.sampled_from(["menu", "MENU", "Menu"]),
    state=st.sampled_from(["idle", "menu", "collect", "confirm_cancel", "satisfaction"]),
)
def test_menu_from_any_state_without_a_ticket_greets_and_shows_the_main_menu(
    session, clock, catalog, citizen, keyword, state
):
    data = {"item": ["3"], "step": 0, "details": {}} if state == "collect" else {}
    conversation = citizen(state, data)

    reply = say(session, clock, conversation, keyword)

    assert reply == reply_of(welcome(catalog), catalog.render_menu("id"))
    assert (conversation.state, conversation.state_data) == ("menu", {"path": []})
