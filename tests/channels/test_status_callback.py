"""POST /webhooks/twilio/status: delivery statuses only move forward."""

from __future__ import annotations

import pytest

from pandawa.channels.models import Message
from pandawa.core.clock import now
from tests.harness import CITIZEN, OFFICE, STATUS_PATH


@pytest.fixture
def sent_message(session):
    def make(sid: str = "SMout1", status: str = "queued") -> Message:
        message = Message(
            direction="out",
            provider="twilio",
            provider_message_id=sid,
            sender=OFFICE,
            recipient=CITIZEN,
            body="Nomor tiket Anda PDW-1",
            status=status,
            attempts=1,
            created_at=now(),
            updated_at=now(),
            sent_at=now(),
        )
        session.add(message)
        session.flush()
        return message

    return make


def _report(post_signed, client, sid: str, status: str, **extra: str):
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC1", **extra}
    return post_signed(client, STATUS_PATH, form)


def test_statuses_out_of_order_end_at_the_furthest(client, session, post_signed, sent_message):
    message = sent_message()
    for status in ("read", "sent", "delivered"):
        response = _report(post_signed, client, "SMout1", status)
        assert response.status_code == 200
        assert response.mimetype == "application/xml"

    session.refresh(message)
    assert message.status == "read"


def test_statuses_in_order_are_followed(client, session, post_signed, sent_message):
    message = sent_message()
    _report(post_signed, client, "SMout1", "sent")
    session.refresh(message)
    assert message.status == "sent"
    _report(post_signed, client, "SMout1", "delivered")
    session.refresh(message)
    assert message.status == "delivered"


def test_failed_keeps_its_error_code_and_is_final(client, session, post_signed, sent_message):
    message = sent_message()
    _report(
        post_signed,
        client,
        "SMout1",
        "failed",
        ErrorCode="63016",
        ErrorMessage="Outside the allowed window",
    )
    _report(post_signed, client, "SMout1", "delivered")
    _report(post_signed, client, "SMout1", "undelivered", ErrorCode="30008")

    session.refresh(message)
    assert (message.status, message.error_code) == ("failed", "63016")
    assert message.error_message == "Outside the allowed window"


def test_an_unknown_sid_is_ignored(client, session, post_signed, sent_message):
    message = sent_message()
    response = _report(post_signed, client, "SMnotours", "read")

    assert response.status_code == 200
    session.refresh(message)
    assert message.status == "queued"


def test_an_unsigned_status_callback_is_refused(client, session, sent_message):
    message = sent_message()
    response = client.post(STATUS_PATH, data={"MessageSid": "SMout1", "MessageStatus": "read"})

    assert response.status_code == 403
    session.refresh(message)
    assert message.status == "queued"


def test_a_status_callback_without_status_is_400(client, post_signed):
    response = post_signed(client, STATUS_PATH, {"MessageSid": "SMout1"})

    assert response.status_code == 400
    assert response.json["error"]["field"] == "MessageStatus"
