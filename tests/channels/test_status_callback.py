"""POST /webhooks/twilio/status: delivery statuses only move forward."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from pandawa.channels.models import EarlyStatus, Message
from pandawa.channels.providers import SendResult
from pandawa.channels.sending import Claim, record_sent
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


def test_a_status_before_the_send_recorded_its_id_is_kept_and_applied(
    client, session, post_signed, sent_message
):
    """Twilio may call back between answering our send and our commit of its id: the report
    waits for the id instead of being dropped, and the message ends where Twilio says."""
    message = sent_message(sid=None, status="sending")
    assert _report(post_signed, client, "SMearly1", "sent").status_code == 200
    assert _report(post_signed, client, "SMearly1", "delivered").status_code == 200
    session.refresh(message)
    assert message.status == "sending"  # nothing to move yet

    claim = Claim(message.id, "twilio", None, 1, None)  # type: ignore[arg-type]
    record_sent(session, claim, SendResult("SMearly1", "queued"))
    session.refresh(message)
    assert (message.provider_message_id, message.status) == ("SMearly1", "delivered")
    assert session.scalar(sa.select(sa.func.count()).select_from(EarlyStatus)) == 0


def test_a_late_report_for_a_known_message_is_not_kept(client, session, post_signed, sent_message):
    sent_message(sid="SMknown", status="read")
    assert _report(post_signed, client, "SMknown", "sent").status_code == 200
    assert session.scalar(sa.select(sa.func.count()).select_from(EarlyStatus)) == 0


def test_a_report_committing_while_the_send_records_the_id_is_not_lost(app, live_db):
    """The race the end-to-end tick showed: a report that found no message keeps its row but
    has not committed it when the send records the id and looks for kept rows. The send waits
    for the report's transaction (one lock per message id), then applies it."""
    from pandawa.channels.status import apply_status
    from pandawa.core.extensions import db

    with app.app_context():
        message = Message(
            direction="out", provider="twilio", provider_message_id=None, sender=OFFICE,
            recipient=CITIZEN, body="Nomor tiket Anda PDW-1", status="sending", attempts=1,
            created_at=now(), updated_at=now(),
        )  # fmt: skip
        db.session.add(message)
        db.session.commit()
        message_id = message.id
        # the report's transaction, left open
        apply_status(db.session, provider="twilio", provider_message_id="SMrace1", status="read")
        recorded = threading.Event()

        def send() -> None:
            with app.app_context():
                claim = Claim(message_id, "twilio", None, 1, None)  # type: ignore[arg-type]
                record_sent(db.session, claim, SendResult("SMrace1", "queued"))
                db.session.commit()
                recorded.set()

        sender = threading.Thread(target=send)
        sender.start()
        # the send waits on the report's lock while the report is open
        assert not recorded.wait(1.0)
        db.session.commit()
        sender.join(10)
        assert recorded.is_set()
        db.session.expire_all()
        row = db.session.get(Message, message_id)
        assert (row.provider_message_id, row.status) == ("SMrace1", "read")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EarlyStatus)) == 0
