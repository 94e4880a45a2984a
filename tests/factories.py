"""Factory fixtures: each returns a callable that adds a row (flushed, not committed)."""

from __future__ import annotations

import itertools
import secrets
import uuid
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from pandawa.accounts.models import ApiToken, User
from pandawa.accounts.tokens import hash_token, new_token
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue, Ticket

WEEKDAYS = {d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
_seq = itertools.count(1)


@pytest.fixture
def make_office(app):
    def make(
        code: str | None = None,
        *,
        timezone: str = "Asia/Jakarta",
        whatsapp_address: str = "whatsapp:+6281100000000",
    ) -> Office:
        office = Office(
            code=code or f"OFF{next(_seq)}",
            name="Kantor Cabang Uji",
            whatsapp_address=whatsapp_address,
            timezone=timezone,
            weekly_hours=WEEKDAYS,
            updated_at=now(),
        )
        db.session.add(office)
        db.session.flush()
        return office

    return make


@pytest.fixture
def make_queue(app):
    def make(code: str | None = None, *, sla_seconds: int = 1800) -> Queue:
        code = code or f"Q{next(_seq)}"
        queue = Queue(
            code=code, name_id=f"Antrean {code}", name_en=f"Queue {code}", sla_seconds=sla_seconds
        )
        db.session.add(queue)
        db.session.flush()
        return queue

    return make


@pytest.fixture
def make_user(app):
    def make(email: str | None = None, *, role: str = "agent", queues=()) -> User:
        user = User(
            email=email or f"petugas{next(_seq)}@example.go.id",
            name="Petugas",
            role=role,
            created_at=now(),
        )
        user.queues = list(queues)
        db.session.add(user)
        db.session.flush()
        return user

    return make


@pytest.fixture
def make_token(app):
    def make(user: User) -> str:
        raw = new_token()
        db.session.add(
            ApiToken(user_id=user.id, token_hash=hash_token(raw), name="test", created_at=now())
        )
        db.session.flush()
        return raw

    return make


def add_conversation(
    session: Session,
    office: Office,
    address: str,
    *,
    name: str = "Siti Rahayu",
    created_at: datetime | None = None,
) -> Conversation:
    """A citizen (contact) and their idle conversation with `office`, flushed. The citizen wrote
    just now (the 24-hour window is open); the conversation began at `created_at` (now)."""
    at = now()
    contact = Contact(provider="twilio", address=address, name=name, created_at=at)
    session.add(contact)
    session.flush()
    conversation = Conversation(
        contact_id=contact.id,
        channel_address=office.whatsapp_address,
        office_id=office.id,
        state="idle",
        state_data={},
        last_inbound_at=at,
        created_at=created_at or at,
        updated_at=created_at or at,
    )
    session.add(conversation)
    session.flush()
    return conversation


@pytest.fixture
def make_conversation(app, make_office):
    def make(address: str | None = None, *, office: Office | None = None) -> Conversation:
        return add_conversation(
            db.session, office or make_office(), address or f"whatsapp:+62812{next(_seq):08d}"
        )

    return make


@pytest.fixture
def make_ticket(app, make_queue, make_conversation):
    def make(
        *,
        queue: Queue | None = None,
        status: str = "waiting",
        assignee: User | None = None,
        conversation: Conversation | None = None,
    ) -> Ticket:
        queue = queue or make_queue()
        conversation = conversation or make_conversation()
        at = now()
        ticket = Ticket(
            number=f"PDW-TEST-{secrets.token_hex(4).upper()}",
            office_id=conversation.office_id,
            queue_id=queue.id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            status=status,
            assignee_id=assignee.id if assignee else None,
            details={},
            created_at=at,
            released_at=None if status == "deferred" else at,
            assigned_at=at if assignee else None,
            updated_at=at,
        )
        db.session.add(ticket)
        db.session.flush()
        return ticket

    return make


@pytest.fixture
def add_message(app):
    """A message on a ticket: the citizen's ("in") or ours ("out", by `author`); flushed."""

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


def inbound(conversation: Conversation, body: str = "halo", **fields) -> Message:
    """A citizen's message as the webhook stores it (received, not yet processed); flushed."""
    at = now()
    message = Message(
        direction="in",
        provider="twilio",
        provider_message_id=f"SM{secrets.token_hex(16)}",
        sender=conversation.contact.address,
        recipient=conversation.channel_address,
        body=body,
        message_type="text",
        media=[],
        extra={},
        status="received",
        attempts=0,
        created_at=at,
        updated_at=at,
        **fields,
    )
    db.session.add(message)
    db.session.flush()
    return message
