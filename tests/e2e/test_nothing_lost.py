"""The safety net under the outbox: a task the broker lost after the dispatcher published it
(a Redis that dropped its queue before the dispatcher could notice) is brought back by the
sweeper, and the citizen is answered. The outage itself: tests/e2e/test_broker_outage.py."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pandawa.channels.ingest import store_inbound
from pandawa.channels.models import Message
from pandawa.channels.twilio import inbound_from_form
from pandawa.core import outbox
from pandawa.core.extensions import db
from tests.stack import citizen, inbound_form, sid


def test_a_message_whose_task_was_lost_is_answered_after_the_sweep(e2e, fake_twilio):
    who, message_sid = citizen(), sid()
    with e2e.app.app_context():
        message_id = store_inbound(
            db.session, inbound_from_form(inbound_form(message_sid, who, "Halo"))
        )
        # as if published and then lost with the broker's queue: stamped, never delivered
        db.session.execute(sa.update(outbox.TABLE).values(published_at=e2e.clock.now()))
        db.session.commit()
        db.session.remove()
    stored = sa.select(Message.processed_at).where(Message.id == message_id)
    assert e2e.rows(stored) == [(None,)]

    # older than PANDAWA_SWEEP_AFTER_SECONDS (2 s in the e2e stack)
    swept_at = e2e.clock.now() + timedelta(seconds=3)
    e2e.clock.set(swept_at)
    from pandawa.conversations.tasks import sweep_inbound

    with e2e.app.app_context():
        assert sweep_inbound() == 1
        db.session.remove()
    fake_twilio.wait_for(lambda ms: any(m.to == who for m in ms), 30)
    # handled by the worker after the sweep, on the rehearsal clock (still at the sweep's instant)
    assert e2e.scalar(stored) == swept_at
