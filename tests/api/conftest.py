"""Helpers for API tests: bearer headers and message rows on a ticket."""

from __future__ import annotations

import uuid

import pytest

from pandawa.channels.models import Message
from pandawa.clock import now
from pandawa.conversations.models import Conversation
from pandawa.extensions import db


@pytest.fixture
def bearer(make_token):
    def make(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(user)}"}

    return make


@pytest.fixture
def add_message(session):
    def add(
        ticket,
        direction: str = "in",
        body: str = "Halo",
        *,
        status: str | None = None,
        author=None,
        note: bool = False,
        error_code: str | None = None,
    ) -> Message:
        conversation = db.session.get(Conversation, ticket.conversation_id)
        citizen, ours = conversation.contact.address, conversation.channel_address
        at = now()
        message = Message(
            direction=direction,
            provider="twilio",
            provider_message_id="SM" + uuid.uuid4().hex,
            sender=citizen if direction == "in" else ours,
            recipient=ours if direction == "in" else citizen,
            body=body,
            message_type="text",
            media=[],
            extra={},
            status=status or ("received" if direction == "in" else "sent"),
            error_code=error_code,
            attempts=0,
            conversation_id=conversation.id,
            ticket_id=ticket.id,
            author_id=author.id if author else None,
            is_internal_note=note,
            created_at=at,
            updated_at=at,
        )
        db.session.add(message)
        db.session.flush()
        return message

    return add
