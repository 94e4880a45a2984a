"""SLA alerts on each database the product runs on (PostgreSQL, and SQLite as `pandawa dev`
serves it: the batch-mode migration, ON CONFLICT DO NOTHING, FILTER counts)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.reports.models import SlaAlert
from pandawa.reports.sla_alerts import record_alerts
from tests.harness import csrf_token, reset_throttle, sign_in, with_password


def test_alerts_board_and_acknowledge_on_each_database(
    database, make_queue, make_user, make_ticket, make_office, make_conversation
):
    with database.app_context():
        queue = make_queue("UMUM", sla_seconds=1800)
        supervisor = with_password(make_user(role="supervisor"))
        ticket = make_ticket(queue=queue, conversation=make_conversation(office=make_office()))
        ticket.created_at = ticket.released_at = now() - timedelta(hours=1)
        number, email = ticket.number, supervisor.email
        db.session.commit()
        assert len(record_alerts(db.session, now())) == 2
        db.session.commit()
        assert record_alerts(db.session, now()) == []  # the unique key: nothing twice
        db.session.commit()
        alert_id = db.session.scalar(sa.select(SlaAlert.id).where(SlaAlert.level == 100))
        db.session.remove()
    reset_throttle(database)
    client = database.test_client()
    sign_in(client, email)
    board = client.get("/dashboard/board").get_data(as_text=True)
    assert f'data-ticket="{number}"' in board and 'data-level="100"' in board
    token = csrf_token(client, "/dashboard")
    acked = client.post(f"/dashboard/sla-alerts/{alert_id}/ack", data={"csrf_token": token})
    assert acked.status_code == 302
    assert f'data-ticket="{number}"' not in client.get("/dashboard/board").get_data(as_text=True)
    history = client.get("/dashboard/sla-alerts").get_data(as_text=True)
    assert '<tr data-queue="UMUM">' in history
