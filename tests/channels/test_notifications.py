"""Notifications due to one citizen at once become one message; templates go as ContentSid
and ContentVariables without a Body."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.channels.outbox import MAX_BODY, queue_notification, queue_outbound, queue_template
from pandawa.core.extensions import db
from tests.harness import CITIZEN, OFFICE

pytestmark = pytest.mark.usefixtures("live_db")

RELEASED = "Tiket PDW-20261201-0001: petugas akan segera membalas."
CLOSING = "Kantor tutup pukul 15.00 WIB; tiket Anda tetap dalam antrean."


def notify(body: str, recipient: str = CITIZEN) -> int:
    row = queue_notification(
        db.session, provider="twilio", sender=OFFICE, recipient=recipient, body=body
    )
    return row.id


def committed_notification(app, body: str) -> int:
    with app.app_context():
        message_id = notify(body)
        db.session.commit()
        return message_id


def outbound(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Message.id, Message.status, Message.body).order_by(Message.id)
        )
        return [tuple(r) for r in rows]


def test_two_notifications_to_one_citizen_become_one_message(app, run_task, broker, twilio_fake):
    with app.app_context():
        first = notify(RELEASED)
        second = notify(CLOSING)
        other = notify(RELEASED, recipient="whatsapp:+6281299999999")  # another citizen
        db.session.commit()

    assert first == second != other
    assert outbound(app) == [
        (first, "pending", RELEASED + "\n\n" + CLOSING),
        (other, "pending", RELEASED),
    ]
    assert sorted(broker("channels.send_message")) == [[first], [other]]  # one task each
    assert run_task("channels.send_message", first).result == "queued"
    assert [m.body for m in twilio_fake.sent_to(CITIZEN)] == [RELEASED + "\n\n" + CLOSING]


def test_a_notification_already_being_sent_is_not_appended_to(app, run_task, twilio_fake):
    first = committed_notification(app, RELEASED)
    twilio_fake.delay_responses(0.5)  # Twilio is slow to answer: the send is in progress
    sending = threading.Thread(target=run_task, args=("channels.send_message", first))
    sending.start()
    twilio_fake.wait_for(lambda _: twilio_fake.creations() == 1)

    second = committed_notification(app, CLOSING)
    sending.join()
    twilio_fake.delay_responses(0)
    assert run_task("channels.send_message", second).result == "queued"

    assert second != first
    assert [m.body for m in twilio_fake.sent_to(CITIZEN)] == [RELEASED, CLOSING]


def test_a_row_locked_by_a_send_attempt_is_skipped(app):
    first = committed_notification(app, RELEASED)
    with app.app_context(), db.engine.connect() as worker:
        # a send attempt is claiming the row right now (its transaction holds the lock)
        worker.execute(sa.select(Message.id).where(Message.id == first).with_for_update()).one()
        second = notify(CLOSING)  # does not wait for the lock, does not touch the row
        db.session.commit()
        worker.rollback()

    assert second != first
    assert [body for _, _, body in outbound(app)] == [RELEASED, CLOSING]


def test_the_send_task_waits_while_a_merge_is_appending(app, run_task, twilio_fake):
    first = committed_notification(app, RELEASED)
    results = []
    with app.app_context():
        assert notify(CLOSING) == first  # appended; this transaction is still open
        attempt = threading.Thread(
            target=lambda: results.append(run_task("channels.send_message", first))
        )
        attempt.start()
        attempt.join()
        db.session.commit()

    # not sent half-merged, and not dropped either: it comes back for the whole text
    assert (results[0].state, twilio_fake.requests) == ("RETRY", [])
    assert run_task("channels.send_message", first).result == "queued"
    assert [m.body for m in twilio_fake.sent_to(CITIZEN)] == [RELEASED + "\n\n" + CLOSING]


def test_no_merge_past_one_message_or_past_a_newer_message(app):
    long_text = "Informasi layanan. " * 82  # 1,558 characters: one message, nearly full
    with app.app_context():
        first = notify(long_text)
        too_long = notify(CLOSING)  # would not fit one WhatsApp message
        [reply] = queue_outbound(
            db.session, provider="twilio", sender=OFFICE, recipient=CITIZEN, body="Balasan bot."
        )
        after_reply = notify(RELEASED)  # appending to an older row would jump the bot's reply
        bot_then = notify(CLOSING)  # joins the newest notification
        db.session.commit()
        reply_id = reply.id

    assert len(long_text + "\n\n" + CLOSING) > MAX_BODY
    assert len({first, too_long, reply_id, after_reply}) == 4
    assert bot_then == after_reply
    assert [body for _, _, body in outbound(app)] == [
        long_text,
        CLOSING,
        "Balasan bot.",
        RELEASED + "\n\n" + CLOSING,
    ]


def test_a_plain_reply_is_not_merged_into(app):
    with app.app_context():
        [reply] = queue_outbound(
            db.session, provider="twilio", sender=OFFICE, recipient=CITIZEN, body="Balasan bot."
        )
        notification = notify(RELEASED)
        db.session.commit()
        reply_id = reply.id

    assert notification != reply_id


def test_a_template_goes_as_content_sid_and_json_variables_without_body(app, run_task, twilio_fake):
    with app.app_context():
        row = queue_template(
            db.session,
            provider="twilio",
            sender=OFFICE,
            recipient=CITIZEN,
            content_sid="HX" + "3" * 32,
            variables={"1": "PDW-20261201-0003", "2": 2},
            body_preview="Petugas siap melayani tiket PDW-20261201-0003; balas LANJUT.",
        )
        db.session.commit()
        message_id = row.id

    assert run_task("channels.send_message", message_id).result == "queued"

    [sent] = twilio_fake.messages
    assert sent.content_sid == "HX" + "3" * 32
    assert json.loads(sent.content_variables) == {"1": "PDW-20261201-0003", "2": "2"}
    assert "Body" not in sent.form
    # agents see what the citizen got
    assert outbound(app) == [
        (
            message_id,
            "queued",
            "Petugas siap melayani tiket PDW-20261201-0003; balas LANJUT.",
        )
    ]


def test_a_template_with_an_empty_variable_is_refused_before_twilio_would(app):
    with app.app_context(), pytest.raises(ValueError, match="empty variable"):
        queue_template(
            db.session,
            provider="twilio",
            sender=OFFICE,
            recipient=CITIZEN,
            content_sid="HX" + "3" * 32,
            variables={"1": "PDW-20261201-0003", "2": ""},
        )
