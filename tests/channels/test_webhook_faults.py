"""The inbound webhook when a dependency is missing: 503 so Twilio retries, or 200 when the
message is safely stored; and no Twilio webhook at all in simulator mode."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from pandawa.app import create_app
from pandawa.channels.models import Message
from pandawa.core.extensions import db
from tests.fakes import meta_graph
from tests.harness import INBOUND_PATH, app_environ, inbound_form


@contextmanager
def other_app(app: Flask, environ: dict) -> Iterator[Flask]:
    other = create_app(environ, clock=app.extensions["pandawa.core.clock"])
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()
        # create_app makes its Celery app the process default; give it back
        app.extensions["celery"].set_default()


def test_database_unreachable_answers_503(
    app, pg_url, redis_url, fake_twilio, tmp_path, post_signed, caplog
):
    environ = app_environ(
        "postgresql://postgres@127.0.0.1:1/pandawa", redis_url, fake_twilio.url, tmp_path
    )
    form = inbound_form("SMdbdown", Body="NIK saya 3174012345678901")
    with other_app(app, environ) as down:
        response = post_signed(down.test_client(), INBOUND_PATH, form)

    assert response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"
    # logged, without the citizen's number or words
    assert "database unavailable" in caplog.text
    assert "6281234567890" not in caplog.text and "3174012345678901" not in caplog.text


def test_broker_unreachable_still_stores_and_answers_200(
    app, live_db, pg_url, fake_twilio, tmp_path, post_signed
):
    environ = app_environ(pg_url, "redis://127.0.0.1:1/0", fake_twilio.url, tmp_path)
    with other_app(app, environ) as no_broker:
        response = post_signed(no_broker.test_client(), INBOUND_PATH, inbound_form("SMnobroker"))

    assert response.status_code == 200
    with app.app_context():
        stored = db.session.scalars(sa.select(Message.provider_message_id)).all()
    # stored and unprocessed: the inbound sweeper hands it on when the broker is back
    assert stored == ["SMnobroker"]


def test_in_simulator_mode_the_twilio_webhook_does_not_exist(
    app, live_db, pg_url, redis_url, fake_twilio, tmp_path, post_signed
):
    environ = app_environ(pg_url, redis_url, fake_twilio.url, tmp_path)
    environ.update(WHATSAPP_PROVIDER="simulator", TWILIO_AUTH_TOKEN="", TWILIO_ACCOUNT_SID="")
    with other_app(app, environ) as simulator:
        response = post_signed(simulator.test_client(), INBOUND_PATH, inbound_form())

    assert response.status_code == 404


def test_meta_webhook_with_the_database_unreachable_answers_503_so_meta_retries(
    app, redis_url, fake_twilio, fake_graph, tmp_path, caplog
):
    environ = app_environ(
        "postgresql://postgres@127.0.0.1:1/pandawa",
        redis_url,
        fake_twilio.url,
        tmp_path,
        fake_graph.url,
    )
    message = meta_graph.text_message(
        "whatsapp:+6281234567890", "NIK saya 3174012345678901", timestamp=1_796_000_000
    )
    raw, headers = meta_graph.signed(
        meta_graph.notification("whatsapp:+6281180001600", messages=[message])
    )
    with other_app(app, environ) as down:
        response = down.test_client().post("/webhooks/meta/whatsapp", data=raw, headers=headers)

    assert response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"
    assert "database unavailable" in caplog.text
    assert "6281234567890" not in caplog.text and "3174012345678901" not in caplog.text
