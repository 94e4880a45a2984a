"""Live events without Redis (`pandawa dev`): the `live_event` table carries them between
processes. A change committed by another process reaches an open `/console/events` stream; a
rolled-back one never does; on PostgreSQL ids become visible in commit order (a reader that
has seen id 6 never misses a 5 committed later); old rows are pruned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from pandawa.app import create_app
from pandawa.core import live, live_db
from pandawa.core.clock import now
from pandawa.core.extensions import db
from tests.harness import app_environ, sign_in, with_password

pytestmark = pytest.mark.usefixtures("live_db")


@pytest.fixture(scope="module")
def bare_environ(pg_url, redis_url, fake_twilio, tmp_path_factory) -> dict:
    """The test database, no REDIS_URL: live events go through the database."""
    environ = app_environ(pg_url, redis_url, fake_twilio.url, tmp_path_factory.mktemp("bare"))
    del environ["REDIS_URL"]
    return environ


@pytest.fixture(scope="module")
def bare_app(app, bare_environ, clock) -> Iterator[Flask]:
    bare = create_app(bare_environ, clock=clock)
    bare.config["TESTING"] = True
    bare.config["LIVE_MAX_STREAM_SECONDS"] = 5  # a broken test ends instead of hanging
    yield bare
    with bare.app_context():
        db.engine.dispose()


def _events(bare_app: Flask) -> list[dict]:
    with bare_app.app_context(), db.engine.connect() as conn:
        return [json.loads(d) for d in conn.scalars(sa.select(live_db.TABLE.c.data))]


def _first_event(response) -> dict:
    buffer = ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            raw, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in raw.splitlines() if line[:1] != ":")
            if "data" in fields:
                response.close()
                return {**json.loads(fields["data"]), "_type": fields["event"]}
    raise AssertionError("the stream ended without an event")


# what the worker does in its own process: a citizen's message routed onto the ticket
WORKER = textwrap.dedent(
    """
    import json, os, sys
    from pandawa.app import create_app
    from pandawa.channels.models import Message
    from pandawa.core.clock import now
    from pandawa.core.extensions import db
    from pandawa.tickets.models import Ticket
    import sqlalchemy as sa

    app = create_app(json.loads(os.environ["BARE_ENVIRON"]))
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == sys.argv[1]))
        db.session.add(Message(
            provider="twilio", provider_message_id="SM-LIVE-DB-1", direction="in",
            sender="whatsapp:+6281234567890", recipient="whatsapp:+6281100000000",
            body="halo", status="processed", conversation_id=ticket.conversation_id,
            ticket_id=ticket.id, created_at=now(), updated_at=now(),
        ))
        db.session.commit()
    """
)


def test_a_message_committed_by_another_process_reaches_the_open_stream(
    bare_app, bare_environ, make_queue, make_user, make_ticket
):
    with bare_app.app_context():
        queue = make_queue()
        agent = with_password(make_user(queues=[queue]))
        ticket = make_ticket(queue=queue)
        email, number, code = agent.email, ticket.number, queue.code
        db.session.commit()
        db.session.remove()

    client = bare_app.test_client()
    assert sign_in(client, email).status_code == 302
    response = client.get("/console/events")
    assert response.status_code == 200
    worker = subprocess.run(
        [sys.executable, "-c", WORKER, number],
        env={**os.environ, "BARE_ENVIRON": json.dumps(bare_environ)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-3000:]

    event = _first_event(response)
    assert event["_type"] == "message"
    assert (event["ticket"], event["queue"], event["direction"]) == (number, code, "in")
    assert "body" not in event  # identifiers only, never the text


def test_a_rolled_back_change_publishes_nothing(bare_app, make_queue):
    with bare_app.app_context():
        code = make_queue().code
        db.session.commit()
        make_queue()  # a change, and its event, in a transaction that rolls back
        live.publish_after_commit(db.session, {"type": "ticket", "ticket": "PDW-X", "queue": code})
        db.session.rollback()
        live.publish_after_commit(db.session, {"type": "ticket", "ticket": "PDW-Y", "queue": code})
        db.session.commit()
    assert [e["ticket"] for e in _events(bare_app)] == ["PDW-Y"]


@pytest.fixture(params=["postgresql", "sqlite"])
def any_bare_app(request, bare_app) -> Flask:
    """No REDIS_URL, on each database: PostgreSQL, and SQLite (`pandawa dev`'s default)."""
    return bare_app if request.param == "postgresql" else request.getfixturevalue("sqlite_app")


def test_the_poll_fallback_reads_the_table_from_its_cursor(any_bare_app, make_queue, make_user):
    bare_app = any_bare_app
    with bare_app.app_context():
        queue = make_queue()
        agent = with_password(make_user(queues=[queue]))
        email, code = agent.email, queue.code
        db.session.commit()
        db.session.remove()
    client = bare_app.test_client()
    assert sign_in(client, email).status_code == 302
    cursor = client.get("/console/events/poll").get_json()["cursor"]
    with bare_app.app_context():  # a ticket change in one transaction, another queue's after
        live.publish_after_commit(
            db.session, {"type": "ticket", "ticket": "PDW-POLLED", "queue": code}
        )
        db.session.commit()
        live.publish([{"type": "ticket", "ticket": "PDW-NOT-MINE", "queue": "ELSEWHERE"}])

    body = client.get(f"/console/events/poll?after={cursor}").get_json()
    assert [e["ticket"] for e in body["events"]] == ["PDW-POLLED"]
    again = client.get(f"/console/events/poll?after={body['cursor']}").get_json()
    assert again["events"] == []


def test_ids_become_visible_in_commit_order(bare_app):
    """The first writer holds the advisory lock until it commits: the second, which would take
    the next id, waits for that commit, so no reader can see id 6 before id 5."""
    with bare_app.app_context():
        engine = db.engine
    first = engine.connect()
    first.begin()
    live_db.write(first, [{"type": "ticket", "ticket": "PDW-FIRST", "queue": "Q"}])
    second_done = threading.Event()

    def second_writer() -> None:
        with engine.begin() as conn:
            live_db.write(conn, [{"type": "ticket", "ticket": "PDW-SECOND", "queue": "Q"}])
        second_done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    try:
        with engine.connect() as watch:  # the second writer is seen waiting on the lock
            waiting = sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            for _ in range(600):
                if watch.scalar(waiting):
                    break
                watch.rollback()
                second_done.wait(0.05)
            else:
                raise AssertionError("the second writer never waited for the lock")
        assert not second_done.is_set()
        first.commit()
    finally:
        first.close()
        thread.join(30)
    assert second_done.is_set()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(live_db.TABLE.c.id, live_db.TABLE.c.data)).all()
    ordered = [json.loads(data)["ticket"] for _id, data in sorted(rows)]
    assert ordered == ["PDW-FIRST", "PDW-SECOND"]


def test_old_events_are_pruned(bare_app, clock):
    with bare_app.app_context(), db.engine.begin() as conn:
        live_db.write(conn, [{"type": "ticket", "ticket": "PDW-OLD", "queue": "Q"}])
        clock.set(now() + live_db.RETENTION + timedelta(seconds=1))
        live_db.write(conn, [{"type": "ticket", "ticket": "PDW-NEW", "queue": "Q"}])
        assert live_db.prune(conn, now()) == 1
    assert [e["ticket"] for e in _events(bare_app)] == ["PDW-NEW"]
