"""Fixtures: one PostgreSQL database and one Redis db per run; each test in a rolled-back
transaction (savepoints), so what a test commits is gone in the next one."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection

from pandawa.app import create_app
from pandawa.core import live, outbox
from pandawa.core.clock import FixedClock
from pandawa.core.extensions import db
from pandawa.core.migrations import upgrade
from tests.fakes.meta_graph import FakeGraph
from tests.fakes.twilio import FakeTwilio
from tests.harness import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    app_environ,
    signed_headers,
)
from tests.services import temporary_database, temporary_redis_db

# One hypothesis profile for the whole suite: no deadline and no "too slow" health check (how
# long an example takes on a busy 2-core machine says nothing about the code), and a failure
# prints the blob that replays it. Tests set only what differs (max_examples).
settings.register_profile(
    "pandawa", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("pandawa")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with temporary_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with temporary_redis_db() as url:
        yield url


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio(account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[FakeGraph]:
    """The Graph API of WhatsApp's Cloud API (Meta), enabled beside Twilio in the test app."""
    server = FakeGraph()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def clock() -> FixedClock:
    # Tuesday 1 December 2026, 10:00 WIB: inside office hours
    return FixedClock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def app(pg_url, redis_url, fake_twilio, fake_graph, clock, tmp_path_factory) -> Iterator[Flask]:
    environ = app_environ(
        pg_url, redis_url, fake_twilio.url, tmp_path_factory.mktemp("instance"), fake_graph.url
    )
    app = create_app(environ, clock=clock)
    app.config["TESTING"] = True
    with app.app_context():
        with db.engine.begin() as conn:
            upgrade(pg_url, connection=conn)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _reset_clock(clock):
    clock.set(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))


@pytest.fixture
def connection(app) -> Iterator[Connection]:
    """Each test runs inside one outer transaction that is rolled back at the end; the
    application's commits become savepoint releases inside it."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        conn = engine.connect()
        outer = conn.begin()
        factory_kw = db.session.session_factory.kw
        engines[None] = conn
        factory_kw["join_transaction_mode"] = "create_savepoint"
        db.session.remove()
        try:
            yield conn
        finally:
            db.session.remove()
            factory_kw.pop("join_transaction_mode", None)
            engines[None] = engine
            outer.rollback()
            conn.close()


@pytest.fixture
def session(app, connection):
    with app.app_context():
        yield db.session


@pytest.fixture
def client(app, connection):
    return app.test_client()


@pytest.fixture
def live_db(app) -> Iterator[None]:
    """For tests that need real commits seen by other connections (concurrency, processes):
    no outer transaction; every table is emptied afterwards."""
    yield
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def broker(app: Flask, redis_url: str) -> Iterator[Callable[..., list]]:
    """What was handed to the background, in order: the task outbox's rows (core/outbox.py,
    written in the request's transaction and published by the dispatcher), then what a task
    published straight to the real Redis broker (its own retry, a pacing slot).
    `broker(task_name)` → list of args; `broker(task_name, kwargs=True)` → list of
    (args, kwargs, eta or countdown or None)."""
    client = redis.Redis.from_url(redis_url)
    client.delete("celery")

    def published(name: str, *, kwargs: bool = False) -> list:
        found = []
        with app.app_context():
            rows = db.session.execute(
                sa.select(outbox.TABLE.c.args, outbox.TABLE.c.options)
                .where(outbox.TABLE.c.name == name)
                .order_by(outbox.TABLE.c.id)
            ).all()
        for args, options in rows:
            found.append((args, {}, (options or {}).get("countdown")) if kwargs else args)
        for raw in client.lrange("celery", 0, -1)[::-1]:  # LPUSHed: oldest last
            message = json.loads(raw)
            if message["headers"]["task"] == name:
                args, task_kwargs, _embed = json.loads(base64.b64decode(message["body"]))
                found.append((args, task_kwargs, message["headers"].get("eta")) if kwargs else args)
        return found

    yield published
    client.delete("celery")
    client.close()


pytest_plugins = ["tests.factories", "tests.figures", "tests.citizen_story"]


@pytest.fixture
def sqlite_app(app, tmp_path, clock):
    """The embedded default (SQLite, in-memory broker) beside the session's app, migrated."""
    environ = {
        "PANDAWA_ENV": "test",
        "SECRET_KEY": "test-secret-key-0123456789",
        "PANDAWA_INSTANCE_PATH": str(tmp_path),
        "CELERY_BROKER_URL": "memory://",
    }
    embedded = create_app(environ, clock=clock)
    with embedded.app_context():
        upgrade(embedded.config["SQLALCHEMY_DATABASE_URI"])
    yield embedded
    with embedded.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_default()  # the session's app stays Celery's default


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request, app) -> Flask:
    """The app on each database the product runs on: PostgreSQL (the session's app with real
    commits, emptied afterwards: `live_db`) and the embedded default (SQLite: `sqlite_app`).
    Work in its app context."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_app")
    request.getfixturevalue("live_db")
    return app


@pytest.fixture
def post_signed(app: Flask) -> Callable[..., object]:
    """POST a form signed as Twilio signs it: for PUBLIC_BASE_URL + path unless told."""

    def post(client, path: str, form: dict, *, signed_for: str | None = None, **kwargs):
        headers = {**signed_headers(path, form, signed_for=signed_for), **kwargs.pop("headers", {})}
        return client.post(path, data=form, headers=headers, **kwargs)

    return post


@pytest.fixture
def stream_reader(app) -> Callable[[list[str]], Callable[[], list[live.Entry]]]:
    """`reader = stream_reader([codes])` notes where the queues' live streams are now;
    `reader()` returns what was published to them since."""

    def start(codes: list[str]) -> Callable[[], list[live.Entry]]:
        with app.app_context():
            bus = live.get_bus()
            cursor = bus.heads(codes)

        def read() -> list[live.Entry]:
            return bus.read(dict(cursor))

        return read

    return start


@pytest.fixture
def default_text() -> str:
    """The shipped catalogue's text."""
    from pandawa.catalog.schema import SHIPPED_CATALOG

    return SHIPPED_CATALOG.read_text(encoding="utf-8")


@pytest.fixture
def write_catalog(tmp_path) -> Callable[..., Path]:
    """Write text to catalog.yaml in a fresh directory; return its path."""

    def write(text: str | bytes, name: str = "catalog.yaml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write
