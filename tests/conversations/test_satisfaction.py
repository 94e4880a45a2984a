"""Resolution: the closing message with the 1–5 question, and the citizen's answer."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.conversations.satisfaction import handle_answer, parse_rating
from pandawa.core.clock import now
from pandawa.provisioning.operations import load_default
from pandawa.tickets import operations as ops
from pandawa.tickets.models import TicketEvent
from tests.factories import inbound

_sid = itertools.count(1)

QUESTION_ID = "Seberapa puas Bapak/Ibu dengan layanan kami untuk tiket"
QUESTION_EN = "How satisfied are you with our service on ticket"


@pytest.fixture
def resolved(session, make_user, make_ticket):
    """An agent resolved a ticket while the citizen's window was open."""
    load_default(session)
    agent = make_user()
    ticket = make_ticket(status="assigned", assignee=agent)
    ops.resolve(session, ticket, agent)
    return ticket


def _conversation(session, ticket):
    from pandawa.citizens.models import Conversation

    return session.get(Conversation, ticket.conversation_id)


def _answer(session, ticket, body: str) -> list[str] | None:
    """The citizen answers; returns what the bot replies (None: not a rating matter)."""
    conversation = _conversation(session, ticket)
    message = inbound(conversation, body)
    session.flush()
    language = conversation.contact.language or "id"
    return handle_answer(session, conversation, message, active_catalog(), language)


def _outbound(session, ticket) -> list[Message]:
    return list(
        session.scalars(
            sa.select(Message).where(Message.ticket_id == ticket.id, Message.direction == "out")
        )
    )


def _events(session, ticket, kind: str) -> list[TicketEvent]:
    return list(
        session.scalars(
            sa.select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind
            )
        )
    )


def test_resolve_sends_the_closing_message_with_the_question(session, resolved):
    (message,) = _outbound(session, resolved)  # one message: both texts fit
    assert message.body.startswith(f"Tiket *{resolved.number}* telah diselesaikan")
    assert f"{QUESTION_ID} *{resolved.number}*?" in message.body
    assert message.status == "pending"
    conversation = _conversation(session, resolved)
    assert conversation.state == "satisfaction"
    assert conversation.state_data == {
        "ticket_id": resolved.id,
        "asked_at": now().isoformat(),
    }


def test_the_question_is_asked_in_the_citizens_language(
    session, make_user, make_ticket, make_conversation
):
    load_default(session)
    agent = make_user()
    english = make_conversation()
    english.contact.language = "en"
    ticket = make_ticket(status="assigned", assignee=agent, conversation=english)

    ops.resolve(session, ticket, agent)

    (message,) = _outbound(session, ticket)
    assert f"Ticket *{ticket.number}* has been resolved" in message.body
    assert QUESTION_EN in message.body
    assert _answer(session, ticket, "5") == [
        "Thank you for your rating. Your feedback helps us improve our service."
    ]


def test_a_rating_is_stored_and_thanked(session, resolved):
    replies = _answer(session, resolved, "5")

    assert replies == [active_catalog().text("satisfaction_thanks", "id")]
    assert resolved.satisfaction == 5
    assert [e.data["rating"] for e in _events(session, resolved, "rated")] == [5]
    conversation = _conversation(session, resolved)
    assert (conversation.state, conversation.state_data) == ("idle", {})
    # the next message is the normal bot's again
    assert _answer(session, resolved, "4") is None
    assert resolved.satisfaction == 5


def test_what_the_conversation_remembers_outlives_the_rating(
    session, make_user, make_ticket, make_conversation
):
    load_default(session)
    agent = make_user()
    conversation = make_conversation()
    remembered = {"office_chosen": True, "slow_down_at": "2026-12-01T02:00:00+00:00"}
    conversation.state_data = {**remembered, "ticket_id": 1}  # e.g. left by a cancel question
    ticket = make_ticket(status="assigned", assignee=agent, conversation=conversation)

    ops.resolve(session, ticket, agent)
    assert conversation.state_data == {
        **remembered,
        "ticket_id": ticket.id,
        "asked_at": now().isoformat(),
    }

    _answer(session, ticket, "5")
    assert (conversation.state, conversation.state_data) == ("idle", remembered)


def test_a_comment_after_the_number_is_kept(session, resolved):
    _answer(session, resolved, "4 - petugasnya ramah, tapi antreannya lama")
    assert resolved.satisfaction == 4
    assert resolved.details["satisfaction_comment"] == "petugasnya ramah, tapi antreannya lama"


def test_star_emoji_count(session, resolved):
    _answer(session, resolved, "⭐⭐⭐⭐")
    assert resolved.satisfaction == 4


def test_something_else_is_answered_once_then_left_to_the_bot(session, resolved):
    invalid = active_catalog().text("satisfaction_invalid", "id")

    assert _answer(session, resolved, "bagus sekali") == [invalid]
    assert _conversation(session, resolved).state == "satisfaction"
    assert _answer(session, resolved, "bagus sekali") is None

    assert resolved.satisfaction is None
    assert _conversation(session, resolved).state == "idle"
    assert _events(session, resolved, "rated") == []


def test_a_number_after_one_invalid_answer_still_counts(session, resolved):
    _answer(session, resolved, "bagus")
    _answer(session, resolved, "3")
    assert resolved.satisfaction == 3


def test_a_rating_days_later_is_not_expected_any_more(session, clock, resolved):
    clock.advance(days=3, minutes=1)
    assert _answer(session, resolved, "5") is None
    assert resolved.satisfaction is None
    assert _conversation(session, resolved).state == "idle"


def test_past_the_window_no_question(session, clock, make_user, make_ticket):
    load_default(session)
    agent = make_user()
    ticket = make_ticket(status="assigned", assignee=agent)
    conversation = _conversation(session, ticket)
    conversation.last_inbound_at = now() - timedelta(hours=24, minutes=1)

    ops.resolve(session, ticket, agent)

    assert ticket.status == "resolved"
    # only the approved closing template (tests/tickets/test_closing_notice.py), no question
    [notice] = _outbound(session, ticket)
    assert notice.content_sid and notice.content_variables == {"1": ticket.number}
    assert conversation.state == "idle"
    assert _answer(session, ticket, "5") is None


def test_no_rating_awaited_means_none(session, make_ticket):
    load_default(session)
    ticket = make_ticket(status="waiting")
    assert _answer(session, ticket, "5") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", (5, "")),
        (" 1 ", (1, "")),
        ("5.", (5, "")),
        ("5/5", (5, "")),
        ("3 dari 5", (3, "")),
        ("4 bintang", (4, "")),
        ("Nilai: 2", (2, "")),
        ("5️⃣", (5, "")),
        ("lima", (5, "")),
        ("Four stars", (4, "")),
        ("⭐ ⭐ ⭐", (3, "")),
        ("⭐⭐⭐⭐⭐ mantap", (5, "mantap")),
        ("2, lama sekali menunggu", (2, "lama sekali menunggu")),
    ],
)
def test_ratings_as_citizens_type_them(text, expected):
    assert parse_rating(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "6",
        "10",
        "4.5",
        "4,5",
        "bagus sekali",
        "terima kasih",
        "⭐⭐⭐⭐⭐⭐",
        "lima menit",
    ],
)
def test_not_ratings(text):
    assert parse_rating(text) is None
