"""The task outbox and its dispatcher, against real PostgreSQL and real Redis servers.

What a citizen would notice is tested end to end (tests/e2e/test_broker_outage.py); here each
promise of the pattern on its own: a rolled-back request hands nothing on, rows go out in
order and once, two dispatchers never publish one row, a broker outage leaves the rows waiting
and the dispatcher drains them within seconds of its return, a broker restarted empty gets the
recent rows again, old rows are pruned.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.app import create_app
from pandawa.core import heartbeat, jobs, outbox
from pandawa.core.dispatcher import Dispatcher
from pandawa.core.extensions import db
from pandawa.core.migrations import upgrade
from tests.brokers import RedisServer, redis_server
from tests.harness import app_environ
from tests.services import temporary_database
from tests.stack import wait_until

TASK = "conversations.process_inbound"


def queued(client) -> list[list]:
    """The args of every task in the broker's default queue, oldest first."""
    found = []
    for raw in reversed(client.lrange("celery", 0, -1)):  # kombu LPUSHes: oldest last
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append([message["headers"]["task"], *args])
    return found


def unpublished(app) -> list[int]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(outbox.TABLE.c.id)
            .where(outbox.TABLE.c.published_at.is_(None))
            .order_by(outbox.TABLE.c.id)
        ).all()
        db.session.rollback()
        return list(rows)


def enqueue(app, *numbers: int) -> None:
    """One request's transaction per number: a task row, committed."""
    with app.app_context():
        for number in numbers:
            jobs.enqueue_after_commit(db.session, TASK, number)
            db.session.commit()


@pytest.fixture
def broker_server() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def outbox_app(app, broker_server, fake_twilio, tmp_path, clock) -> Iterator:
    """An app on a database of its own whose Celery broker is `broker_server` (a Redis the test may
    stop); the session's app stays Celery's default afterwards."""
    with temporary_database("pandawa_outbox") as url:
        environ = app_environ(url, broker_server.url, fake_twilio.url, tmp_path / "instance")
        environ["OUTBOX_REPLAY_SECONDS"] = "300"
        built = create_app(environ, clock=clock)
        with built.app_context():
            upgrade(url)
        yield built
        with built.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["celery"].set_default()


@pytest.fixture
def running(outbox_app) -> Iterator:
    """`running(poll=…)` starts a dispatcher in a thread of this process; all are stopped at
    the end."""
    started: list[tuple[threading.Thread, threading.Event]] = []

    def start(poll: float = 1.0) -> Dispatcher:
        stop = threading.Event()
        dispatcher = Dispatcher(outbox_app, stop=stop, poll=poll)
        thread = threading.Thread(target=dispatcher.run, daemon=True)
        thread.start()
        started.append((thread, stop))
        return dispatcher

    yield start
    for thread, stop in started:
        stop.set()
        thread.join(timeout=10)


def test_a_rolled_back_transaction_hands_nothing_on(outbox_app, broker_server):
    with outbox_app.app_context():
        jobs.enqueue_after_commit(db.session, TASK, 1)
        db.session.rollback()
        jobs.enqueue_after_commit(db.session, TASK, 2)
        db.session.commit()
        assert Dispatcher(outbox_app).dispatch_once() == 1
    assert queued(broker_server.client()) == [[TASK, 2]]


def test_rows_go_out_in_order_once_and_are_stamped(outbox_app, broker_server, clock):
    enqueue(outbox_app, *range(1, 31))
    with outbox_app.app_context():
        dispatcher = Dispatcher(outbox_app)
        assert dispatcher.dispatch_once() == 30
        assert dispatcher.dispatch_once() == 0  # nothing twice
        stamped = db.session.scalars(sa.select(outbox.TABLE.c.published_at)).all()
    assert queued(broker_server.client()) == [[TASK, n] for n in range(1, 31)]
    assert set(stamped) == {clock.now()}


def test_a_countdown_is_kept_as_the_task_delay(outbox_app, broker_server):
    with outbox_app.app_context():
        jobs.enqueue_after_commit(db.session, TASK, 7, countdown=30)
        db.session.commit()
        before = datetime.now(UTC)  # Celery's eta is real time: the broker's clock, not ours
        Dispatcher(outbox_app).dispatch_once()
        after = datetime.now(UTC)
    [raw] = broker_server.client().lrange("celery", 0, -1)
    eta = datetime.fromisoformat(json.loads(raw)["headers"]["eta"])
    # the delay runs from the publish: 30 s after it
    assert before + timedelta(seconds=30) <= eta <= after + timedelta(seconds=30)
    with pytest.raises(TypeError, match="unsupported publish options"):
        jobs.enqueue_after_commit(None, TASK, 7, queue="elsewhere")  # type: ignore[arg-type]


def test_rows_a_dispatcher_holds_are_skipped_by_another(outbox_app):
    enqueue(outbox_app, *range(1, 21))
    with outbox_app.app_context():
        engine = db.engine
    with Session(engine) as first, Session(engine) as second:
        held = [row.id for row in outbox.claim(first, 10)]  # locked until `first` ends
        other = [row.id for row in outbox.claim(second, 10)]
        assert held == list(range(1, 11))
        assert other == list(range(11, 21))  # not 1–10: never the same row at once
        first.rollback()
        second.rollback()


def test_two_dispatchers_publish_every_row_exactly_once(outbox_app, broker_server, running):
    running(poll=0.05)
    running(poll=0.05)
    numbers = list(range(1, 1501))
    writers = [
        threading.Thread(target=enqueue, args=(outbox_app, *numbers[i::3])) for i in range(3)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    client = broker_server.client()
    wait_until(lambda: client.llen("celery") >= len(numbers), 60, what="every row published")
    time.sleep(0.5)  # a duplicate, had there been one, would have arrived by now
    published = [args[1] for args in queued(client)]
    assert sorted(published) == numbers  # each once: none lost, none twice
    assert unpublished(outbox_app) == []


def test_broker_down_rows_wait_then_go_out_in_order_within_seconds_of_its_return(
    outbox_app, broker_server, running
):
    broker_server.stop()
    enqueue(outbox_app, 1, 2, 3)  # requests commit whatever the broker does
    running(poll=0.2)
    time.sleep(1.5)  # the dispatcher tries and fails meanwhile
    assert unpublished(outbox_app) == [1, 2, 3]
    enqueue(outbox_app, 4)

    broker_server.start()
    back = time.monotonic()
    wait_until(lambda: unpublished(outbox_app) == [], 20, what="the backlog drained")
    drained = time.monotonic() - back
    assert queued(broker_server.client()) == [[TASK, n] for n in (1, 2, 3, 4)]
    # seconds, not a sweep interval (60 s): the back-off is at most 2 s
    assert drained < 15, drained


def test_the_heartbeat_goes_on_while_the_broker_is_down(outbox_app, broker_server, clock):
    """The board must blame the broker, not the dispatcher: its heartbeat stays fresh."""
    broker_server.stop()
    enqueue(outbox_app, 1)
    stop = threading.Event()
    dispatcher = Dispatcher(outbox_app, stop=stop, poll=0.1)
    dispatcher.stamp_every = 0.2
    thread = threading.Thread(target=dispatcher.run, daemon=True)
    thread.start()
    try:
        clock.advance(minutes=5)

        def seen() -> object:
            with outbox_app.app_context():
                at = heartbeat.seen(db.session)[heartbeat.DISPATCHER].seen_at
                db.session.remove()
                return at == clock.now()

        wait_until(seen, 10, what="a stamp at the advanced clock during the outage")
        assert unpublished(outbox_app) == [1]
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_broker_restarted_empty_gets_the_recent_rows_again(
    outbox_app, broker_server, running, clock
):
    enqueue(outbox_app, 1, 2)
    with outbox_app.app_context():
        db.session.execute(
            sa.update(outbox.TABLE).values(published_at=clock.now() - timedelta(seconds=400))
        )  # published before the replay window (300 s): not replayed
        db.session.commit()
    enqueue(outbox_app, 3, 4)
    running(poll=0.1)
    client = broker_server.client()
    wait_until(lambda: client.llen("celery") == 2, 10, what="3 and 4 published")
    time.sleep(2.5)  # the dispatcher has seen this Redis's identity

    broker_server.stop()
    broker_server.start()  # no persistence: the queue is gone
    assert broker_server.client().llen("celery") == 0
    wait_until(lambda: broker_server.client().llen("celery") >= 2, 20, what="the replay")
    assert queued(broker_server.client()) == [[TASK, 3], [TASK, 4]]


def test_published_rows_are_pruned_after_the_replay_window(outbox_app, clock):
    enqueue(outbox_app, 1, 2, 3)
    with outbox_app.app_context():
        outbox.mark_published(db.session, [1, 2], at=clock.now() - timedelta(seconds=301))
        outbox.mark_published(db.session, [3], at=clock.now() - timedelta(seconds=299))
        jobs.enqueue_after_commit(db.session, TASK, 4)  # unpublished: never pruned
        db.session.commit()
        assert outbox.prune(db.session, timedelta(seconds=300)) == 2
        db.session.commit()
        left = db.session.scalars(sa.select(outbox.TABLE.c.id).order_by(outbox.TABLE.c.id))
        assert list(left) == [3, 4]


def test_the_backlog_is_measured_and_exported(outbox_app, clock):
    enqueue(outbox_app, 1, 2)
    clock.advance(seconds=90)
    with outbox_app.app_context():
        pending = outbox.backlog(db.session)
        assert (pending.depth, pending.age_seconds(clock.now())) == (2, 90.0)
        body = outbox_app.test_client().get("/metrics").get_data(as_text=True)
    assert "pandawa_outbox_backlog 2.0" in body
    assert "pandawa_outbox_oldest_age_seconds 90.0" in body


def test_the_embedded_default_dispatches_by_polling(sqlite_app):
    with sqlite_app.app_context():
        jobs.enqueue_after_commit(db.session, TASK, 5)
        db.session.commit()
        dispatcher = Dispatcher(sqlite_app)
        assert dispatcher._listen() is None  # SQLite: no LISTEN, the poll wakes it
        assert dispatcher.dispatch_once() == 1
        assert outbox.backlog(db.session).depth == 0
