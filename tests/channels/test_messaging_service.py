"""Inbound through a Twilio Messaging Service: the webhook form then carries
`MessagingServiceSid`. It is stored with the message, and the replies to that citizen name the
same service (`messaging_service_sid`) while keeping our number as `From` (Twilio takes the
service "instead of or in addition to" From; the number keeps the office and its 24-hour
window). The whole path runs for real: signed webhook → the bot's turn → the send task → the
fake Twilio REST API.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from twilio.base.exceptions import TwilioRestException

from pandawa.channels.models import Message
from pandawa.channels.twilio import rest_client
from pandawa.conversations.tasks import process_inbound
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from pandawa.provisioning.operations import load_default
from tests.channels.conftest import send_pending
from tests.harness import CITIZEN, INBOUND_PATH, inbound_form, signed_headers

SERVICE = "MG" + "5" * 32
# the shipped catalogue's office number
OFFICE = "whatsapp:+6281180001500"


@pytest.fixture
def catalogue(app, live_db) -> None:
    with app.app_context():
        load_default(db.session)
        db.session.commit()


def webhook(app, sid: str, body: str = "halo", **fields: str) -> int:
    """The citizen writes to the office; Twilio's signed webhook. Returns the stored row's id."""
    form = inbound_form(sid, To=OFFICE, Body=body, **fields)
    response = app.test_client().post(
        INBOUND_PATH, data=form, headers=signed_headers(INBOUND_PATH, form)
    )
    assert response.status_code == 200
    with app.app_context():
        return db.session.scalar(sa.select(Message.id).where(Message.provider_message_id == sid))


def bot_answers(app, run_task, message_id: int) -> list[int]:
    """The worker's turn on the message, then every reply it queued sent to the provider."""
    with app.app_context():
        process_inbound(message_id)
        db.session.remove()
    replies = send_pending(app, run_task)
    assert replies, "the bot queued no reply"
    return replies


def test_the_service_is_stored_with_the_message(app, catalogue, twilio_fake):
    message_id = webhook(app, "SM" + "1" * 32, MessagingServiceSid=SERVICE)

    with app.app_context():
        stored = db.session.get(Message, message_id)
        assert stored.extra["MessagingServiceSid"] == SERVICE
        assert (stored.sender, stored.recipient) == (CITIZEN, OFFICE)


def test_the_bots_reply_goes_through_the_service_from_our_number(
    app, catalogue, run_task, twilio_fake
):
    message_id = webhook(app, "SM" + "2" * 32, MessagingServiceSid=SERVICE)

    bot_answers(app, run_task, message_id)

    sent = twilio_fake.sent_to(CITIZEN)
    assert sent, "nothing reached Twilio"
    for message in sent:
        assert message.form["MessagingServiceSid"] == SERVICE
        assert message.messaging_service_sid == SERVICE
        assert message.form["From"] == OFFICE  # the office's own number, its own window
    assert "Selamat datang di layanan *Pandawa*" in sent[0].body  # the greeting
    with app.app_context():
        stored = db.session.scalars(
            sa.select(Message).where(Message.direction == "out").order_by(Message.id)
        ).all()
        assert [m.provider_message_id for m in stored] == [m.sid for m in sent]


def test_a_message_to_the_number_itself_is_answered_without_a_service(
    app, catalogue, run_task, twilio_fake
):
    message_id = webhook(app, "SM" + "3" * 32)

    bot_answers(app, run_task, message_id)

    sent = twilio_fake.sent_to(CITIZEN)
    assert sent
    for message in sent:
        assert "MessagingServiceSid" not in message.form
        assert message.from_ == OFFICE


def test_the_latest_message_decides(app, catalogue, run_task, twilio_fake, clock):
    """A number moved out of the pool: the citizen's next message came to it directly, so the
    reply to it names no service any more."""
    bot_answers(app, run_task, webhook(app, "SM" + "4" * 32, MessagingServiceSid=SERVICE))
    assert all(m.messaging_service_sid == SERVICE for m in twilio_fake.sent_to(CITIZEN))
    twilio_fake.reset()
    clock.advance(minutes=2)

    bot_answers(app, run_task, webhook(app, "SM" + "5" * 32, body="menu"))

    sent = twilio_fake.sent_to(CITIZEN)
    assert sent and all(m.messaging_service_sid is None for m in sent)


# -- the fake keeps Twilio's rules, so the tests above could fail -------------------------------


def test_the_fake_refuses_a_message_without_from_or_service(app, twilio_fake):
    client = rest_client(settings_of(app))
    with pytest.raises(TwilioRestException) as refused:
        client.api.v2010.account.messages.create(to=CITIZEN, body="halo")
    assert (refused.value.status, refused.value.code) == (400, 21603)
    with pytest.raises(TwilioRestException) as invalid:
        client.api.v2010.account.messages.create(
            to=CITIZEN, messaging_service_sid="MG-not-a-sid", body="halo"
        )
    assert invalid.value.code == 21705
    assert twilio_fake.messages == []


def test_the_fake_sends_from_the_pool_when_only_the_service_is_named(app, twilio_fake):
    twilio_fake.add_service(SERVICE, [OFFICE])
    client = rest_client(settings_of(app))

    created = client.api.v2010.account.messages.create(
        to=CITIZEN, messaging_service_sid=SERVICE, body="halo"
    )

    assert created.messaging_service_sid == SERVICE
    [sent] = twilio_fake.messages
    assert (sent.from_, sent.messaging_service_sid) == (OFFICE, SERVICE)
