"""channels.send_message against the fake Twilio REST API, with real commits (live_db).

The task is run in-process (`.apply`), as a worker would run it: its own app context, its own
transactions. A retry shows as state RETRY; running it again plays the redelivery.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from tests.harness import CITIZEN, OFFICE, PUBLIC_BASE_URL

pytestmark = pytest.mark.usefixtures("live_db")


@pytest.fixture
def send(run_task):
    return lambda message_id: run_task("channels.send_message", message_id)


@pytest.fixture
def queue(app):
    def make(body: str = "Nomor tiket Anda PDW-20261201-0001.", **kwargs) -> int:
        with app.app_context():
            [row] = queue_outbound(
                db.session,
                provider=kwargs.pop("provider", "twilio"),
                sender=OFFICE,
                recipient=kwargs.pop("recipient", CITIZEN),
                body=body,
                **kwargs,
            )
            db.session.commit()
            return row.id

    return make


@pytest.fixture
def stuck(app, clock):
    """A row an earlier attempt left in `sending` (a timeout, a killed worker)."""

    def make(body: str, *, started_ago: float = 120) -> int:
        with app.app_context():
            started = clock.now() - timedelta(seconds=started_ago)
            row = Message(
                direction="out",
                provider="twilio",
                sender=OFFICE,
                recipient=CITIZEN,
                body=body,
                status="sending",
                attempts=1,
                created_at=started - timedelta(seconds=1),
                updated_at=started,
                send_started_at=started,
            )
            db.session.add(row)
            db.session.commit()
            return row.id

    return make


def row(app, message_id: int) -> Message:
    with app.app_context():
        message = db.session.get(Message, message_id)
        db.session.expunge(message)
        return message


def test_a_message_is_sent_and_twilio_sid_stored(app, send, queue, twilio_fake, clock):
    message_id = queue()

    result = send(message_id)

    assert (result.state, result.result) == ("SUCCESS", "queued")
    [sent] = twilio_fake.messages
    assert (sent.to, sent.from_, sent.body) == (
        CITIZEN,
        OFFICE,
        "Nomor tiket Anda PDW-20261201-0001.",
    )
    assert sent.status_callback == PUBLIC_BASE_URL + "/webhooks/twilio/status"
    stored = row(app, message_id)
    assert (stored.status, stored.provider_message_id) == ("queued", sent.sid)
    assert (stored.attempts, stored.sent_at) == (1, clock.now())


def test_sending_twice_sends_once(app, send, queue, twilio_fake):
    message_id = queue()

    send(message_id)
    again = send(message_id)

    assert again.result == "skipped"
    assert len(twilio_fake.messages) == 1


def test_a_template_goes_as_content_sid_without_body(app, send, queue, twilio_fake):
    message_id = queue(
        "Kantor sudah buka.",
        content_sid="HX" + "2" * 32,
        content_variables={"1": "PDW-20261201-0001", "2": "Senin"},
    )

    assert send(message_id).state == "SUCCESS"

    [sent] = twilio_fake.messages
    assert sent.content_sid == "HX" + "2" * 32
    assert json.loads(sent.content_variables) == {"1": "PDW-20261201-0001", "2": "Senin"}
    assert sent.body is None and "Body" not in sent.form


def test_rate_limited_then_sent_once(app, send, queue, twilio_fake):
    message_id = queue()
    twilio_fake.fail_next(429, 20429, "Too Many Requests", retry_after="7")

    first = send(message_id)

    assert first.state == "RETRY"
    assert first.when == 7  # the provider's Retry-After wins over the 2 s backoff
    waiting = row(app, message_id)
    assert (waiting.status, waiting.error_code, waiting.attempts) == ("pending", "20429", 1)

    second = send(message_id)

    assert (second.state, second.result) == ("SUCCESS", "queued")
    assert len(twilio_fake.messages) == 1
    sent = row(app, message_id)
    assert (sent.status, sent.attempts, sent.error_code) == ("queued", 2, None)


def test_a_provider_outage_is_retried_with_backoff(app, send, queue, twilio_fake):
    message_id = queue()
    twilio_fake.fail_next(503, 20503, "Service Unavailable", times=2)

    assert send(message_id).when == 2
    assert send(message_id).when == 4
    assert send(message_id).result == "queued"
    assert len(twilio_fake.messages) == 1


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (21211, "Invalid 'To' Phone Number"),
        (63016, "Failed to send freeform message because you are outside the allowed window."),
        (21610, "Attempt to send to unsubscribed recipient"),
    ],
)
def test_a_permanent_error_fails_at_once(app, send, queue, twilio_fake, code, text):
    message_id = queue()
    twilio_fake.fail_next(400, code, text)

    result = send(message_id)

    assert (result.state, result.result) == ("SUCCESS", "failed")
    failed = row(app, message_id)
    assert (failed.status, failed.error_code) == ("failed", str(code))
    assert text in failed.error_message
    assert send(message_id).result == "skipped"  # no retry, ever
    assert twilio_fake.creations() == 1


def test_a_stuck_row_the_provider_already_has_is_adopted_not_resent(
    app, send, stuck, twilio_fake, clock
):
    body = "Tiket Anda PDW-20261201-0002 sedang diproses."
    message_id = stuck(body)
    earlier = twilio_fake.add_message(
        CITIZEN, OFFICE, body, date_created=clock.now() - timedelta(seconds=119)
    )

    result = send(message_id)

    assert result.result == "adopted"
    assert twilio_fake.creations() == 0
    adopted = row(app, message_id)
    assert (adopted.status, adopted.provider_message_id) == ("queued", earlier.sid)


def test_a_stuck_row_does_not_adopt_a_message_another_row_owns(
    app, send, stuck, twilio_fake, clock
):
    body = "Terima kasih."
    owner = twilio_fake.add_message(CITIZEN, OFFICE, body, date_created=clock.now())
    with app.app_context():
        db.session.add(
            Message(
                direction="out",
                provider="twilio",
                provider_message_id=owner.sid,
                sender=OFFICE,
                recipient=CITIZEN,
                body=body,
                status="delivered",
                attempts=1,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        db.session.commit()
    message_id = stuck(body)

    assert send(message_id).result == "queued"
    assert twilio_fake.creations() == 1
    assert row(app, message_id).provider_message_id != owner.sid


def test_a_stuck_row_the_provider_never_got_is_sent(app, send, stuck, twilio_fake):
    message_id = stuck("Mohon maaf, layanan sedang ramai.")

    assert send(message_id).result == "queued"
    assert [m.body for m in twilio_fake.messages] == ["Mohon maaf, layanan sedang ramai."]


def test_a_row_being_sent_right_now_is_left_alone(app, send, stuck, twilio_fake):
    message_id = stuck("Halo", started_ago=1)  # another worker is talking to Twilio

    result = send(message_id)

    assert result.state == "RETRY"
    assert twilio_fake.requests == []
    assert row(app, message_id).status == "sending"


def test_a_timeout_that_reached_twilio_is_not_sent_twice(
    app, send, queue, twilio_fake, clock, monkeypatch
):
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(settings, twilio_timeout_seconds=0.2),
    )
    twilio_fake.now = clock.now
    twilio_fake.delay_responses(2.0)  # Twilio answers late, but does create the message
    message_id = queue()

    first = send(message_id)

    assert first.state == "RETRY"
    timed_out = row(app, message_id)
    assert (timed_out.status, timed_out.error_code) == ("sending", "timeout")
    twilio_fake.wait_for(lambda messages: len(messages) == 1)
    twilio_fake.delay_responses(0)
    clock.advance(seconds=first.when)  # the retry's countdown: the in-flight lease is over

    second = send(message_id)

    assert second.result == "adopted"
    assert twilio_fake.creations() == 1
    assert row(app, message_id).provider_message_id == twilio_fake.messages[0].sid


def test_messages_to_one_citizen_go_out_in_order(app, send, queue, twilio_fake):
    first_id = queue("Pertama")
    second_id = queue("Kedua")

    early = send(second_id)  # the worker happened to pick the newer one first

    assert early.state == "RETRY"
    assert twilio_fake.messages == []
    assert send(first_id).result == "queued"
    assert send(second_id).result == "queued"
    assert [m.body for m in twilio_fake.messages] == ["Pertama", "Kedua"]


def test_messages_to_different_citizens_do_not_wait_for_each_other(app, send, queue, twilio_fake):
    queue("Untuk warga A")
    other = queue("Untuk warga B", recipient="whatsapp:+6281299999999")

    assert send(other).result == "queued"


def test_the_simulator_sends_without_network(app, send, queue, twilio_fake, monkeypatch):
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(settings, whatsapp_provider="simulator"),
    )
    message_id = queue(provider="simulator")

    assert send(message_id).result == "delivered"
    stored = row(app, message_id)
    assert stored.status == "delivered" and stored.provider_message_id.startswith("SIM")
    assert twilio_fake.requests == []


def test_sweep_re_enqueues_stale_rows_once(app, queue, stuck, run_task, broker, clock):
    stale_id = queue("Lama")  # its send task was lost
    stuck_id = stuck("Macet", started_ago=600)  # its worker was killed mid-send
    clock.advance(seconds=120)
    fresh_id = queue("Baru", recipient="whatsapp:+6281299999999")
    published_by_queue = broker("channels.send_message")

    assert run_task("channels.sweep_outbox").result == 2
    assert run_task("channels.sweep_outbox").result == 0  # a second beat finds nothing to do

    republished = broker("channels.send_message")
    for args in published_by_queue:
        republished.remove(args)
    assert sorted(republished) == [[stale_id], [stuck_id]]
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Message.id, Message.status)).all())
    assert statuses == {stale_id: "pending", stuck_id: "sending", fresh_id: "pending"}


def test_a_swept_stuck_row_is_checked_at_twilio_then_sent(app, stuck, run_task, twilio_fake, clock):
    message_id = stuck("Macet", started_ago=600)

    assert run_task("channels.sweep_outbox").result == 1
    assert run_task("channels.send_message", message_id).result == "queued"

    assert twilio_fake.requests[0][0] == "GET"  # looked first
    assert [m.body for m in twilio_fake.messages] == ["Macet"]


def test_twilio_unreachable_puts_the_row_back_to_pending(app, send, queue, monkeypatch):
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(settings, twilio_api_base_url="http://127.0.0.1:1"),
    )
    message_id = queue()

    result = send(message_id)

    assert result.state == "RETRY"
    # refused before anything was sent: no need to look at Twilio before the next attempt
    waiting = row(app, message_id)
    assert (waiting.status, waiting.error_code) == ("pending", "connection")
