"""Whatever a citizen types, in whatever order, there is always a way back to the menu and on
to a person: no sequence of inputs leaves a conversation stuck."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.conversations.bot import Bot
from pandawa.conversations.operations import mark_processed
from pandawa.core.clock import now
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import OPEN_STATUSES, Ticket
from tests.factories import inbound

_numbers = itertools.count(1)
INPUTS = st.one_of(
    st.sampled_from(
        [
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "7",
            "9",
            "0",
            "menu",
            "MENU",
            "petugas",
            "agent",
            "status",
            "batal",
            "cancel",
            "ya",
            "tidak",
            "english",
            "indonesia",
            "halo",
            "3174015708900001",
            "123",
            "17-08-1990",
            "0001234567890",
            "mau pindah faskes",
            "",
            "🙏",
            "<script>x</script>",
        ]
    ),
    # NUL cannot be stored (the webhook replaces it); lone surrogates cannot arrive in UTF-8
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    ),
)


def _citizen(session):
    catalog = active_catalog()
    number = next(_numbers)
    contact = Contact(
        provider="twilio",
        address=f"whatsapp:+62899{number:08d}",
        name="Warga",
        language="id",
        created_at=now(),
    )
    session.add(contact)
    session.flush()
    office_id = session.scalar(
        sa.text("SELECT id FROM office WHERE code = :c"), {"c": catalog.offices[0].code}
    )
    conversation = Conversation(
        contact_id=contact.id,
        channel_address=catalog.offices[0].whatsapp,
        office_id=office_id,
        state="idle",
        state_data={},
        created_at=now(),
        updated_at=now(),
    )
    session.add(conversation)
    session.flush()
    return conversation


def _say(session, conversation, body: str) -> str:
    message = inbound(conversation, body)
    turn = Bot(session, conversation).handle(message)
    mark_processed(message, conversation, turn.ticket_id)
    session.flush()
    last = session.scalars(
        sa.select(Message.body)
        .where(
            Message.conversation_id == conversation.id,
            Message.direction == "out",
            Message.id > message.id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    return last or ""


def _open_ticket(session, conversation):
    return session.scalar(
        sa.select(Ticket).where(
            Ticket.conversation_id == conversation.id, Ticket.status.in_(OPEN_STATUSES)
        )
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(inputs=st.lists(INPUTS, max_size=12))
def test_no_sequence_of_inputs_leaves_a_conversation_stuck(session, inputs):
    if active_catalog_missing(session):
        load_default(session)
    catalog = active_catalog()
    conversation = _citizen(session)
    for body in inputs:
        _say(session, conversation, body)

    # a way to a person: with or without a ticket, `petugas` leads to an open ticket
    _say(session, conversation, "petugas")
    ticket = _open_ticket(session, conversation)
    assert ticket is not None
    # a way out of it: batal + ya cancels
    _say(session, conversation, "batal")
    _say(session, conversation, "ya")
    assert _open_ticket(session, conversation) is None
    # and back to the menu
    reply = _say(session, conversation, "menu")
    header = catalog.text("menu_header", conversation.contact.language)
    assert header in reply


def active_catalog_missing(session) -> bool:
    from pandawa.catalog.queries import CatalogMissing

    try:
        active_catalog()
    except CatalogMissing:
        return True
    return False
