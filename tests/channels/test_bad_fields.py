"""Webhook fields that can never be stored: refused once with 400 naming the field (the
provider does not retry a 4xx), never a 5xx that Twilio would retry for ever; what a person
wrote is stored cleaned instead, so the citizen's message is never lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.core.clock import now
from tests.harness import CITIZEN, INBOUND_PATH, OFFICE, STATUS_PATH, inbound_form

MEDIA = {
    "NumMedia": "1",
    "MessageType": "image",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    "MediaContentType0": "image/jpeg",
}


def _messages(session) -> list[Message]:
    return list(session.scalars(sa.select(Message).order_by(Message.id)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("From", CITIZEN + "\x00"),
        ("From", "whatsapp:+62812\x0034567890"),
        ("To", OFFICE + "\x00"),
        ("MessageSid", "SM\x00" + "b" * 30),
        ("WaId", "62812\x0034567890"),
        ("AccountSid", "AC\x00"),
        ("MessageType", "text\x00"),
        ("NumMedia", "1\x00"),
        ("MediaUrl0", MEDIA["MediaUrl0"] + "\x00"),
        ("MediaContentType0", "image/jpeg\x00"),
        ("MediaContentType0", "image/jpeg\x1b[31m"),
        ("OriginalRepliedMessageSid", "SM\x7f"),
        ("From", "whatsapp:+62" + "8" * 130),
        ("MessageSid", "SM" + "c" * 130),  # the column holds 128 (Meta's long wamids)
    ],
)
def test_an_unstorable_identifier_is_refused_once_with_400_naming_it(
    client, session, post_signed, broker, field, value
):
    form = inbound_form(**{**MEDIA, field: value})

    first = post_signed(client, INBOUND_PATH, form)
    again = post_signed(client, INBOUND_PATH, form)  # Twilio would not; nothing changes if it does

    for response in (first, again):
        assert response.status_code == 400
        assert response.json["error"]["code"] == "bad_field"
        assert response.json["error"]["field"] == field
    assert _messages(session) == []  # nothing half-stored
    assert broker("conversations.process_inbound") == []


def test_a_control_character_in_a_field_name_is_refused_too(client, session, post_signed):
    response = post_signed(client, INBOUND_PATH, inbound_form(**{"Odd\x00Field": "x"}))

    assert response.status_code == 400
    assert response.json["error"]["field"] == "Odd\\x00Field"
    assert _messages(session) == []


def test_the_body_is_stored_cleaned_and_handed_on(client, session, post_signed, broker):
    body = "NIK\x00 saya\x07 3174015708900001\tya\r\nterima kasih 🙏 مرحبا <b>x</b>"
    form = inbound_form(Body=body, ProfileName="Si\x00ti\x1b", ButtonText="Ya\x00")

    response = post_signed(client, INBOUND_PATH, form)

    assert response.status_code == 200
    [message] = _messages(session)
    assert message.body == "NIK saya 3174015708900001\tya\r\nterima kasih 🙏 مرحبا <b>x</b>"
    assert message.extra["ProfileName"] == "Siti"
    assert message.extra["ButtonText"] == "Ya"
    assert message.flag == "control characters removed"
    assert (message.sender, message.recipient) == (CITIZEN, OFFICE)
    assert broker("conversations.process_inbound") == [[message.id]]


def test_a_clean_message_is_not_flagged(client, session, post_signed):
    post_signed(client, INBOUND_PATH, inbound_form(Body="baris satu\nbaris\tdua"))

    [message] = _messages(session)
    assert message.body == "baris satu\nbaris\tdua"
    assert message.flag is None


@pytest.fixture
def sent(session) -> Message:
    message = Message(
        direction="out",
        provider="twilio",
        provider_message_id="SMoutbad1",
        sender=OFFICE,
        recipient=CITIZEN,
        body="Nomor tiket Anda PDW-1",
        status="sent",
        attempts=1,
        created_at=now(),
        updated_at=now(),
        sent_at=now(),
    )
    session.add(message)
    session.flush()
    return message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("MessageSid", "SMoutbad1\x00"),
        ("MessageStatus", "failed\x00"),
        ("ErrorCode", "63016\x00"),
        ("To", CITIZEN + "\x00"),
    ],
)
def test_a_status_callback_with_an_unstorable_field_is_400(
    client, session, post_signed, sent, field, value
):
    form = {
        "MessageSid": "SMoutbad1",
        "MessageStatus": "failed",
        "ErrorCode": "63016",
        "To": CITIZEN,
        **{field: value},
    }

    response = post_signed(client, STATUS_PATH, form)

    assert response.status_code == 400
    assert response.json["error"]["field"] == field
    session.refresh(sent)
    assert (sent.status, sent.error_code) == ("sent", None)


def test_a_status_error_text_is_stored_cleaned(client, session, post_signed, sent):
    form = {
        "MessageSid": "SMoutbad1",
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
        "ErrorMessage": "Outside\x00 the window\x01",
    }

    response = post_signed(client, STATUS_PATH, form)

    assert response.status_code == 200
    session.refresh(sent)
    assert (sent.status, sent.error_code) == ("undelivered", "63016")
    assert sent.error_message == "Outside the window"
