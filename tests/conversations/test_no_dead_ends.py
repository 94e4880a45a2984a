"""Whatever a citizen types, in whatever order, there is always a way back to the menu and on
to a person: no sequence of inputs leaves a conversation stuck."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandawa.catalog.queries import active_catalog
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import OPEN_STATUSES, Ticket
from tests.conversations.helpers import citizen, say

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


def _open_ticket(session, conversation):
    return session.scalar(
        sa.select(Ticket).where(
            Ticket.conversation_id == conversation.id, Ticket.status.in_(OPEN_STATUSES)
        )
    )


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(inputs=st.lists(INPUTS, max_size=12))
def test_no_sequence_of_inputs_leaves_a_conversation_stuck(session, inputs):
    if active_catalog_missing(session):
        load_default(session)
    catalog = active_catalog()
    conversation = citizen(session)
    for body in inputs:
        say(session, conversation, body)

    # a way to a person: with or without a ticket, `petugas` leads to an open ticket
    say(session, conversation, "petugas")
    ticket = _open_ticket(session, conversation)
    assert ticket is not None
    # a way out of it: batal + ya cancels
    say(session, conversation, "batal")
    say(session, conversation, "ya")
    assert _open_ticket(session, conversation) is None
    # and back to the menu
    reply = say(session, conversation, "menu")
    header = catalog.text("menu_header", conversation.contact.language)
    assert header in reply


def active_catalog_missing(session) -> bool:
    from pandawa.catalog.queries import CatalogMissing

    try:
        active_catalog()
    except CatalogMissing:
        return True
    return False
