"""The details a service collects: each answer read by its type; the photos sent meanwhile
reach the ticket at the handoff."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.conversations.details import attach_collected, read_detail
from tests.factories import inbound

PHOTO = {"url": "https://example.invalid/p.jpg", "content_type": "image/jpeg"}


@pytest.mark.parametrize(
    ("kind", "typed", "kept"),
    [
        ("nik", "3174015708900001", "3174015708900001"),
        ("nik", "1234", None),
        ("card_number", "0001234567890", "0001234567890"),
        ("card_number", "12345", None),
        ("date", "17-08-1990", "1990-08-17"),
        ("date", "31-02-1990", None),
        ("phone", "0812-3456-7890", "+6281234567890"),
        ("text", "  Puskesmas Menteng ", "Puskesmas Menteng"),
        ("text", "   ", None),
        ("unknown kind", "anything", "anything"),  # read as text
    ],
)
def test_an_answer_is_read_by_the_type_of_its_detail(session, make_conversation, kind, typed, kept):
    message = inbound(make_conversation(), typed)
    assert read_detail(kind, message) == kept


def test_a_photo_detail_keeps_where_each_photo_is(session, make_conversation):
    message = inbound(make_conversation(), "")
    message.media = [PHOTO, PHOTO]
    assert read_detail("photo", message) == [
        {"message_id": message.id, "index": 0},
        {"message_id": message.id, "index": 1},
    ]
    assert read_detail("photo", inbound(make_conversation(), "no photo here")) is None


def test_the_collected_photos_reach_the_ticket(session, make_conversation, make_ticket):
    conversation = make_conversation()
    ticket = make_ticket(conversation=conversation)
    photo = inbound(conversation, "")
    photo.media = [PHOTO]
    other = inbound(conversation, "unrelated")
    details = {"nik": "3174015708900001", "family_card": read_detail("photo", photo)}

    attach_collected(session, details, ticket.id)

    on_ticket = session.scalars(
        sa.select(Message.id).where(Message.ticket_id == ticket.id, Message.direction == "in")
    ).all()
    assert photo.id in on_ticket
    assert other.id not in on_ticket
