"""A broker outage loses nothing: the webhook still stores and answers 200, and the sweeper
hands the message to the worker once the broker is back."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pandawa.app import create_app
from pandawa.channels.models import Message
from pandawa.core.extensions import db
from tests.stack import citizen, inbound_form, sid


def test_message_stored_while_the_broker_is_down_is_answered_after_the_sweep(e2e, fake_twilio):
    down = create_app({**e2e.environ, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"})
    who, message_sid = citizen(), sid()
    form = inbound_form(message_sid, who, "Halo")
    try:
        response = down.test_client().post(
            "/webhooks/twilio/whatsapp",
            data=form,
            headers={"X-Twilio-Signature": e2e.sign("/webhooks/twilio/whatsapp", form)},
            base_url="https://pandawa.example.go.id",
        )
    finally:
        with down.app_context():
            db.engine.dispose()
    assert response.status_code == 200
    stored = sa.select(Message.processed_at).where(Message.provider_message_id == message_sid)
    assert e2e.rows(stored) == [(None,)]

    # older than PANDAWA_SWEEP_AFTER_SECONDS (2 s in the e2e stack)
    e2e.clock.set(e2e.clock.now() + timedelta(seconds=3))
    from pandawa.conversations.tasks import sweep_inbound

    with e2e.app.app_context():
        assert sweep_inbound() >= 1
        db.session.remove()
    fake_twilio.wait_for(lambda ms: any(m.to == who for m in ms), 30)
    assert e2e.scalar(stored) is not None
