"""A Twilio and a Meta number in one deployment (issue 18): a message belongs to the office of
the number it was sent to, whichever provider carried it, and every answer goes back through
the provider the citizen wrote to, from the number they wrote to."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask import Flask

from pandawa.channels.ingest import InboundMessage, store_inbound
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.provisioning.operations import load_catalog
from tests.conversations.drain import run_process_inbound
from tests.harness import EXAMPLE

SHARED_TWILIO = "whatsapp:+6281180001600"  # Jakarta, Makassar, Jayapura: asks the regency
BANDUNG_META = "whatsapp:+6281180001700"  # Bandung's own number, on the Cloud API


@pytest.fixture
def two_numbers(app, live_db, clock) -> Flask:
    with app.app_context():
        load_catalog(db.session, EXAMPLE)
        db.session.commit()
        db.session.remove()
    return app


def _write(app: Flask, clock, provider: str, citizen: str, ours: str, body: str) -> None:
    with app.app_context():
        message_id = store_inbound(
            db.session,
            InboundMessage(
                provider=provider,
                provider_message_id=("wamid." if provider == "meta" else "SM") + uuid.uuid4().hex,
                sender=citizen,
                recipient=ours,
                body=body,
                extra={"WaId": citizen.removeprefix("whatsapp:+")},
                sent_at=clock.now(),
            ),
        )
        db.session.commit()
        assert run_process_inbound(app, message_id).state == "SUCCESS"
    clock.advance(seconds=5)


def _answers(app: Flask, citizen: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Message.provider, Message.sender, Message.body)
            .where(Message.direction == "out", Message.recipient == citizen)
            .order_by(Message.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def test_each_number_routes_to_its_office_and_answers_through_its_provider(two_numbers, clock):
    app = two_numbers
    citizen = "whatsapp:+6281300000777"
    _write(app, clock, "meta", citizen, BANDUNG_META, "Halo")
    _write(app, clock, "twilio", citizen, SHARED_TWILIO, "Halo")

    by_meta, by_twilio = _answers(app, citizen)
    assert by_meta[:2] == ("meta", BANDUNG_META)
    assert "kabupaten/kota" not in by_meta[2]  # Bandung's own number: straight to the menu
    assert by_twilio[:2] == ("twilio", SHARED_TWILIO)
    assert "kabupaten/kota" in by_twilio[2]  # the shared number asks the regency
    with app.app_context():
        offices = dict(
            db.session.execute(
                sa.select(Contact.provider, Office.code)
                .join(Conversation, Conversation.contact_id == Contact.id)
                .join(Office, Office.id == Conversation.office_id)
                .where(Contact.address == citizen)
            ).all()
        )
        db.session.remove()
    assert offices["meta"] == "BANDUNG"
