"""pandawa.console.events: GET /console/events (SSE), /console/events/poll and the bubbles
fragment; and the per-process cap on open event streams (LIVE_MAX_STREAMS, or gunicorn's
threads less a reserve): beyond it `/console/events` answers 503 `busy` at once, the slot comes
back however a stream ends, and the poll fallback keeps working."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from flask import g
from werkzeug.test import EnvironBuilder

from pandawa.channels.models import Message
from pandawa.console import events
from pandawa.core import live
from pandawa.core.clock import now
from pandawa.core.config import ConfigError, Settings, settings_of


def _publish(app, *events: dict) -> None:
    with app.app_context():
        live.publish(list(events))


def _ticket_event(queue: str, number: str) -> dict:
    return {"type": "ticket", "ticket": number, "queue": queue, "event": "created"}


def _sse_blocks(response, count: int) -> list[dict]:
    """The first `count` blocks of a stream, each as {field: value}; comments skipped."""
    blocks: list[dict] = []
    buffer = ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            raw, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in raw.splitlines() if line[:1] != ":")
            if fields:
                blocks.append(fields)
        if len(blocks) >= count:
            break
    response.close()
    return blocks


def test_stream_sends_my_queues_events_and_not_another_queues(
    app, session, make_queue, make_user, client_as
):
    mine, other = make_queue(), make_queue()
    agent = make_user(queues=[mine])
    mine_code, other_code = mine.code, other.code
    client = client_as(agent)

    response = client.get("/console/events")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    # published after the stream started; the other queue's first, so a leak would come first
    _publish(app, _ticket_event(other_code, "PDW-OTHER"), _ticket_event(mine_code, "PDW-MINE"))

    hello, first = _sse_blocks(response, 2)
    assert hello["retry"].isdigit() and "id" in hello
    assert first["event"] == "ticket"
    assert json.loads(first["data"])["ticket"] == "PDW-MINE"
    assert live.decode_cursor(first["id"]).keys() == {mine_code}


def test_stream_resumes_from_last_event_id(app, session, make_queue, make_user, client_as):
    queue = make_queue()
    agent = make_user(queues=[queue])
    code = queue.code
    client = client_as(agent)
    cursor = client.get("/console/events/poll").get_json()["cursor"]
    _publish(app, _ticket_event(code, "PDW-MISSED"))  # while the browser was reconnecting

    response = client.get("/console/events", headers={"Last-Event-ID": cursor})
    _hello, first = _sse_blocks(response, 2)

    assert json.loads(first["data"])["ticket"] == "PDW-MISSED"


def test_a_burst_reaches_the_stream_in_one_write_each_event_with_its_id(
    app, session, make_queue, make_user, client_as
):
    queue = make_queue()
    agent = make_user(queues=[queue])
    code = queue.code
    client = client_as(agent)
    cursor = client.get("/console/events/poll").get_json()["cursor"]
    # published before the stream reads: one read finds all of them (the opening's release)
    _publish(app, *[_ticket_event(code, f"PDW-B{i:02d}") for i in range(30)])

    response = client.get("/console/events", headers={"Last-Event-ID": cursor})
    chunks = iter(response.response)
    next(chunks)  # the retry/id hello
    burst = next(chunks)
    response.close()
    burst = burst.decode() if isinstance(burst, bytes) else burst

    blocks = [b for b in burst.split("\n\n") if b]
    assert len(blocks) == 30  # one write, thirty events
    fields = [dict(line.split(": ", 1) for line in b.splitlines()) for b in blocks]
    assert [json.loads(f["data"])["ticket"] for f in fields] == [f"PDW-B{i:02d}" for i in range(30)]
    # each event's id resumes after it: a reconnect from the 10th misses nothing after it
    resumed = client.get("/console/events/poll", query_string={"after": fields[9]["id"]})
    assert [e["ticket"] for e in resumed.get_json()["events"]] == [
        f"PDW-B{i:02d}" for i in range(10, 30)
    ]


def test_poll_returns_events_after_the_cursor(app, session, make_queue, make_user, client_as):
    mine, other = make_queue(), make_queue()
    agent = make_user(queues=[mine])
    mine_code, other_code = mine.code, other.code
    client = client_as(agent)
    first = client.get("/console/events/poll")
    assert first.status_code == 200
    assert first.get_json()["events"] == []

    _publish(app, _ticket_event(mine_code, "PDW-1"), _ticket_event(other_code, "PDW-2"))
    _publish(app, _ticket_event(mine_code, "PDW-3"))
    page = client.get("/console/events/poll", query_string={"after": first.get_json()["cursor"]})

    assert page.status_code == 200
    assert [e["ticket"] for e in page.get_json()["events"]] == ["PDW-1", "PDW-3"]
    again = client.get("/console/events/poll", query_string={"after": page.get_json()["cursor"]})
    assert again.get_json()["events"] == []


def test_a_cursor_cannot_widen_what_an_agent_reads(app, session, make_queue, make_user, client_as):
    mine, other = make_queue(), make_queue()
    agent = make_user(queues=[mine])
    mine_code, other_code = mine.code, other.code
    client = client_as(agent)
    _publish(app, _ticket_event(other_code, "PDW-SECRET"))

    forged = live.encode_cursor({mine_code: "0-0", other_code: "0-0"})
    page = client.get("/console/events/poll", query_string={"after": forged})

    assert "PDW-SECRET" not in page.get_data(as_text=True)


def test_a_supervisor_reads_every_queue(app, session, make_queue, make_user, client_as):
    a, b = make_queue(), make_queue()
    supervisor = make_user(role="supervisor")
    codes = (a.code, b.code)
    client = client_as(supervisor)
    cursor = client.get("/console/events/poll").get_json()["cursor"]

    _publish(app, _ticket_event(codes[0], "PDW-A"), _ticket_event(codes[1], "PDW-B"))
    page = client.get("/console/events/poll", query_string={"after": cursor})

    # streams are per queue: events of two queues come in no defined order between them
    assert sorted(e["ticket"] for e in page.get_json()["events"]) == ["PDW-A", "PDW-B"]


def test_signed_out_gets_401_and_bad_cursor_400(app, session, make_user, client_as):
    anonymous = client_as(None)
    assert anonymous.get("/console/events").status_code == 401
    assert anonymous.get("/console/events/poll").status_code == 401
    response = client_as(make_user()).get("/console/events/poll", query_string={"after": "zz!"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_cursor"


def test_bubbles_fragment_shows_new_messages_as_text(
    session, make_queue, make_ticket, make_user, client_as
):
    queue = make_queue()
    ticket = make_ticket(queue=queue)
    agent, stranger = make_user(queues=[queue]), make_user(queues=[make_queue()])
    bodies = ["lama", '<script>alert(1)</script><img src=x onerror="alert(2)">']
    ids = []
    for body in bodies:
        message = Message(
            direction="in",
            provider="twilio",
            provider_message_id=f"SMfrag{len(ids)}{ticket.id}",
            sender="whatsapp:+6281234500000",
            recipient="whatsapp:+6281100000000",
            body=body,
            status="processed",
            ticket_id=ticket.id,
            created_at=now(),
            updated_at=now(),
        )
        session.add(message)
        session.flush()
        ids.append(message.id)
    number = ticket.number
    session.commit()

    response = client_as(agent).get(f"/console/tickets/{number}/messages?after={ids[0]}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-message-id="{ids[1]}"' in html and f'data-message-id="{ids[0]}"' not in html
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    hidden = client_as(stranger).get(f"/console/tickets/{number}/messages")
    assert hidden.status_code == 404


# -- the cap on open streams ------------------------------------------------------------------


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
    app, session, make_queue, make_user, client_as, max_streams, caplog
):
    max_streams(1)
    agent = make_user(queues=[make_queue()])
    first, second = client_as(agent), client_as(agent)

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
    app, session, make_queue, make_user, client_as, max_streams
):
    """A generator that never ran does not run its `finally`: the server closing the response
    (a client gone before the first write, a HEAD request) must give the slot back anyway."""
    max_streams(1)
    client = client_as(make_user(queues=[make_queue()]))
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
    app, session, make_queue, make_user, client_as, max_streams, monkeypatch
):
    max_streams(1)
    monkeypatch.setitem(app.config, "LIVE_MAX_STREAM_SECONDS", 0.2)
    monkeypatch.setitem(app.config, "LIVE_BLOCK_MS", 50)
    client = client_as(make_user(queues=[make_queue()]))

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
    app, session, make_queue, make_user, client_as, max_streams, caplog
):
    max_streams(1)
    queue = make_queue()
    client = client_as(make_user(queues=[queue]))
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
    app, session, make_queue, make_user, client_as, max_streams
):
    max_streams(0)
    queue = make_queue()
    client = client_as(make_user(queues=[queue]))
    code = queue.code

    _assert_busy(client.get("/console/events"))
    first = client.get("/console/events/poll")
    assert first.status_code == 200
    with app.app_context():
        live.publish([{"type": "ticket", "ticket": "PDW-POLL", "queue": code, "event": "created"}])
    page = client.get("/console/events/poll", query_string={"after": first.get_json()["cursor"]})
    assert [e["ticket"] for e in page.get_json()["events"]] == ["PDW-POLL"]


def test_a_console_back_from_polling_resumes_from_the_polls_cursor(
    app, session, make_queue, make_user, client_as
):
    queue = make_queue()
    client = client_as(make_user(queues=[queue]))
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
