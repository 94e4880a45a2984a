"""The webhook pays one durable write: the message and the task that hands it on leave in ONE
statement, committed together; a repeated delivery writes neither."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from pandawa.channels.ingest import InboundMessage, store_inbound
from pandawa.channels.models import Message
from pandawa.core import outbox
from pandawa.core.extensions import db
from tests.harness import INBOUND_PATH, inbound_form

MEDIA = {
    "NumMedia": "1",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    "MediaContentType0": "image/jpeg",
}


@pytest.fixture
def statements(app) -> Iterator[list[str]]:
    """Every SQL statement the application sends while the test runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def tasks(session) -> list[tuple[str, list]]:
    return [
        (row.name, row.args)
        for row in session.execute(
            sa.select(outbox.TABLE.c.name, outbox.TABLE.c.args).order_by(outbox.TABLE.c.id)
        )
    ]


def test_the_message_and_its_task_are_one_statement(client, session, post_signed, statements):
    response = post_signed(client, INBOUND_PATH, inbound_form())

    assert response.status_code == 200
    [written] = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert written.startswith("WITH new_message AS (INSERT INTO message")
    assert "INSERT INTO task_outbox" in written
    [message_id] = session.scalars(sa.select(Message.id))
    assert tasks(session) == [("conversations.process_inbound", [message_id])]


def test_media_brings_its_fetch_task_in_the_same_statement(
    client, session, post_signed, statements
):
    response = post_signed(client, INBOUND_PATH, inbound_form(**MEDIA))

    assert response.status_code == 200
    assert len([s for s in statements if s.startswith("WITH new_message")]) == 1
    [message_id] = session.scalars(sa.select(Message.id))
    assert sorted(tasks(session)) == [
        ("channels.fetch_media", [message_id]),
        ("conversations.process_inbound", [message_id]),
    ]


def test_a_repeated_delivery_writes_no_second_message_and_no_task(client, session, post_signed):
    first = post_signed(client, INBOUND_PATH, inbound_form())
    again = post_signed(client, INBOUND_PATH, inbound_form())

    assert (first.status_code, again.status_code) == (200, 200)
    [message_id] = session.scalars(sa.select(Message.id))
    assert tasks(session) == [("conversations.process_inbound", [message_id])]


def test_the_embedded_default_writes_the_same_rows(sqlite_app):
    message = InboundMessage("twilio", "SM" + "b" * 32, "whatsapp:+62811", "whatsapp:+62812", "x")
    with sqlite_app.app_context():
        new_id = store_inbound(db.session, message)
        assert store_inbound(db.session, message) is None
        db.session.commit()
        assert tasks(db.session) == [("conversations.process_inbound", [new_id])]


def test_without_a_surrounding_transaction_the_statement_commits_itself(
    app, live_db, post_signed, statements
):
    # as deployed: the webhook's one statement runs in autocommit mode (no BEGIN, no COMMIT
    # round trip); the message and both its tasks are durable, seen from another connection
    client = app.test_client()
    first = post_signed(client, INBOUND_PATH, inbound_form(**MEDIA))
    again = post_signed(client, INBOUND_PATH, inbound_form(**MEDIA))

    assert (first.status_code, again.status_code) == (200, 200)
    assert all(s.startswith("WITH new_message") for s in statements), statements
    assert len(statements) == 2
    with app.app_context(), db.engine.connect() as other:
        [message_id] = other.scalars(sa.select(Message.id))
        written = sorted(other.execute(sa.select(outbox.TABLE.c.name, outbox.TABLE.c.args)))
    assert written == [
        ("channels.fetch_media", [message_id]),
        ("conversations.process_inbound", [message_id]),
    ]
