"""The per-process cap on open event streams (LIVE_MAX_STREAMS, or gunicorn's threads less a
reserve): beyond it `/console/events` answers 503 `busy` at once, the slot comes back however a
stream ends, and the poll fallback keeps working."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from flask import g
from werkzeug.test import EnvironBuilder

from pandawa.console import events
from pandawa.core import live
from pandawa.core.config import ConfigError, Settings, settings_of


@pytest.fixture
def max_streams(app, monkeypatch):
    """`max_streams(n)`: the app runs with LIVE_MAX_STREAMS=n for this test."""

    def limit(count: int | None) -> None:
        settings = dataclasses.replace(settings_of(app), live_max_streams=count)
        monkeypatch.setitem(app.extensions, "pandawa.settings", settings)

    yield limit
    app.extensions.pop("pandawa.live_slots", None)  # the next test starts with fresh slots


def _assert_busy(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    error = response.get_json()["error"]
    assert error["code"] == "busy"
    assert " / " in error["message"]  # Bahasa Indonesia / English


def _first_block(response) -> str:
    chunk = next(iter(response.response))
    return chunk.decode() if isinstance(chunk, bytes) else chunk


def test_a_stream_beyond_the_cap_is_refused_at_once_and_closing_frees_the_slot(
    app, session, make_queue, make_user, sign_in, max_streams, caplog
):
    max_streams(1)
    agent = make_user(queues=[make_queue()])
    first, second = sign_in(agent), sign_in(agent)

    held = first.get("/console/events")
    assert held.status_code == 200
    with caplog.at_level(logging.INFO, logger="pandawa.console.events"):
        refused = second.get("/console/events")
    _assert_busy(refused)
    busy_logs = [r for r in caplog.records if "503 busy" in r.getMessage()]
    assert len(busy_logs) == 1 and busy_logs[0].levelno == logging.INFO
    assert agent.email not in busy_logs[0].getMessage()

    held.close()  # the browser went away
    again = second.get("/console/events")
    assert again.status_code == 200
    assert _first_block(again).startswith("retry: ")
    _assert_busy(first.get("/console/events"))
    again.close()


def test_a_stream_closed_before_its_generator_started_frees_the_slot(
    app, session, make_queue, make_user, sign_in, max_streams
):
    """A generator that never ran does not run its `finally`: the server closing the response
    (a client gone before the first write, a HEAD request) must give the slot back anyway."""
    max_streams(1)
    client = sign_in(make_user(queues=[make_queue()]))
    cookie = client.get_cookie("session")
    assert cookie is not None
    started: list[str] = []
    g.pop("_login_user", None)  # the test's app context outlives requests (see conftest)
    environ = EnvironBuilder(
        path="/console/events",
        headers={"Cookie": f"session={cookie.value}"},
        environ_base=client.environ_base,  # the same address and user agent as at sign-in
    ).get_environ()

    body = app(environ, lambda status, headers, exc_info=None: started.append(status))
    assert started == ["200 OK"]
    _assert_busy(client.get("/console/events"))
    body.close()  # as gunicorn does, without having read anything

    head = client.head("/console/events")  # werkzeug sends no body for HEAD: never iterated
    assert head.status_code == 200
    _assert_busy(client.get("/console/events"))
    head.close()
    last = client.get("/console/events")
    assert last.status_code == 200
    last.close()


def test_the_slot_comes_back_when_the_stream_ends_by_itself(
    app, session, make_queue, make_user, sign_in, max_streams, monkeypatch
):
    max_streams(1)
    monkeypatch.setitem(app.config, "LIVE_MAX_STREAM_SECONDS", 0.2)
    monkeypatch.setitem(app.config, "LIVE_BLOCK_MS", 50)
    client = sign_in(make_user(queues=[make_queue()]))

    ended = client.get("/console/events")
    assert ended.status_code == 200
    body = "".join(c.decode() if isinstance(c, bytes) else c for c in ended.response)
    assert body.startswith("retry: ")  # read to its end at MAX_STREAM_SECONDS, not closed

    # the generator's own `finally` gave the slot back (the response was never closed)
    nxt = client.get("/console/events")
    assert nxt.status_code == 200
    nxt.close()
    ended.close()  # a second release of the same slot is a no-op
    assert events._stream_slots().take() is not None
    _assert_busy(client.get("/console/events"))


def test_the_slot_comes_back_when_redis_fails_mid_stream(
    app, session, make_queue, make_user, sign_in, max_streams, caplog
):
    max_streams(1)
    queue = make_queue()
    client = sign_in(make_user(queues=[queue]))
    # a well-formed cursor past what a stream id can hold: Redis itself refuses the XREAD
    # ("Invalid stream ID"), a real RedisError inside the running stream
    beyond = live.encode_cursor({queue.code: f"{2**64}-0"})

    failing = client.get("/console/events", headers={"Last-Event-ID": beyond})
    assert failing.status_code == 200
    assert _first_block(failing).startswith("retry: ")
    with caplog.at_level(logging.WARNING, logger="pandawa.console.events"):
        assert list(failing.response) == []  # the stream ended there (the browser reconnects)
    assert any("Redis read failed" in r.getMessage() for r in caplog.records)

    nxt = client.get("/console/events")
    assert nxt.status_code == 200
    nxt.close()
    failing.close()


def test_zero_streams_means_every_console_polls(
    app, session, make_queue, make_user, sign_in, max_streams
):
    max_streams(0)
    queue = make_queue()
    client = sign_in(make_user(queues=[queue]))
    code = queue.code

    _assert_busy(client.get("/console/events"))
    first = client.get("/console/events/poll")
    assert first.status_code == 200
    with app.app_context():
        live.publish([{"type": "ticket", "ticket": "PDW-POLL", "queue": code, "event": "created"}])
    page = client.get("/console/events/poll", query_string={"after": first.get_json()["cursor"]})
    assert [e["ticket"] for e in page.get_json()["events"]] == ["PDW-POLL"]


def test_a_console_back_from_polling_resumes_from_the_polls_cursor(
    app, session, make_queue, make_user, sign_in
):
    queue = make_queue()
    client = sign_in(make_user(queues=[queue]))
    code = queue.code
    cursor = client.get("/console/events/poll").get_json()["cursor"]
    with app.app_context():  # published between the last poll and the stream's start
        live.publish([{"type": "ticket", "ticket": "PDW-GAP", "queue": code, "event": "created"}])

    response = client.get("/console/events", query_string={"after": cursor})
    blocks: list[str] = []
    for chunk in response.response:
        blocks.extend(
            b for b in (chunk.decode() if isinstance(chunk, bytes) else chunk).split("\n\n") if b
        )
        if len(blocks) >= 2:
            break
    response.close()

    data = next(line for line in blocks[1].splitlines() if line.startswith("data: "))
    assert json.loads(data.removeprefix("data: "))["ticket"] == "PDW-GAP"


@pytest.mark.parametrize(
    ("threads", "expected"),
    [("4", 2), ("8", 6), ("16", 12), ("32", 24), ("2", 0), ("1", 0), (None, 16), ("", 16)],
)
def test_default_slots_are_the_threads_less_a_reserve(threads, expected):
    environ = {} if threads is None else {events.WEB_THREADS_ENV: threads}
    assert events.max_streams(None, environ) == expected
    assert events.max_streams(3, environ) == 3  # LIVE_MAX_STREAMS wins
    assert events.max_streams(0, environ) == 0


def test_live_max_streams_setting(tmp_path):
    base = {"PANDAWA_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(base).live_max_streams is None
    assert Settings.from_env({**base, "LIVE_MAX_STREAMS": "0"}).live_max_streams == 0
    assert Settings.from_env({**base, "LIVE_MAX_STREAMS": "24"}).live_max_streams == 24
    for bad in ("-1", "many", "2.5", "²"):
        with pytest.raises(ConfigError, match="LIVE_MAX_STREAMS"):
            Settings.from_env({**base, "LIVE_MAX_STREAMS": bad})
