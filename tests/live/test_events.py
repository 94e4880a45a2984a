"""GET /console/events (SSE), /console/events/poll and the bubbles fragment."""

from __future__ import annotations

import json

from pandawa.channels.models import Message
from pandawa.core import live
from pandawa.core.clock import now


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
    app, session, make_queue, make_user, sign_in
):
    mine, other = make_queue(), make_queue()
    agent = make_user(queues=[mine])
    mine_code, other_code = mine.code, other.code
    client = sign_in(agent)

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


def test_stream_resumes_from_last_event_id(app, session, make_queue, make_user, sign_in):
    queue = make_queue()
    agent = make_user(queues=[queue])
    code = queue.code
    client = sign_in(agent)
    cursor = client.get("/console/events/poll").get_json()["cursor"]
    _publish(app, _ticket_event(code, "PDW-MISSED"))  # while the browser was reconnecting

    response = client.get("/console/events", headers={"Last-Event-ID": cursor})
    _hello, first = _sse_blocks(response, 2)

    assert json.loads(first["data"])["ticket"] == "PDW-MISSED"


def test_a_burst_reaches_the_stream_in_one_write_each_event_with_its_id(
    app, session, make_queue, make_user, sign_in
):
    queue = make_queue()
    agent = make_user(queues=[queue])
    code = queue.code
    client = sign_in(agent)
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


def test_poll_returns_events_after_the_cursor(app, session, make_queue, make_user, sign_in):
    mine, other = make_queue(), make_queue()
    agent = make_user(queues=[mine])
    mine_code, other_code = mine.code, other.code
    client = sign_in(agent)
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


def test_a_cursor_cannot_widen_what_an_agent_reads(app, session, make_queue, make_user, sign_in):
    mine, other = make_queue(), make_queue()
    agent = make_user(queues=[mine])
    mine_code, other_code = mine.code, other.code
    client = sign_in(agent)
    _publish(app, _ticket_event(other_code, "PDW-SECRET"))

    forged = live.encode_cursor({mine_code: "0-0", other_code: "0-0"})
    page = client.get("/console/events/poll", query_string={"after": forged})

    assert "PDW-SECRET" not in page.get_data(as_text=True)


def test_a_supervisor_reads_every_queue(app, session, make_queue, make_user, sign_in):
    a, b = make_queue(), make_queue()
    supervisor = make_user(role="supervisor")
    codes = (a.code, b.code)
    client = sign_in(supervisor)
    cursor = client.get("/console/events/poll").get_json()["cursor"]

    _publish(app, _ticket_event(codes[0], "PDW-A"), _ticket_event(codes[1], "PDW-B"))
    page = client.get("/console/events/poll", query_string={"after": cursor})

    # streams are per queue: events of two queues come in no defined order between them
    assert sorted(e["ticket"] for e in page.get_json()["events"]) == ["PDW-A", "PDW-B"]


def test_signed_out_gets_401_and_bad_cursor_400(app, session, make_user, sign_in):
    anonymous = sign_in(None)
    assert anonymous.get("/console/events").status_code == 401
    assert anonymous.get("/console/events/poll").status_code == 401
    response = sign_in(make_user()).get("/console/events/poll", query_string={"after": "zz!"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_cursor"


def test_bubbles_fragment_shows_new_messages_as_text(
    session, make_queue, make_ticket, make_user, sign_in
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

    response = sign_in(agent).get(f"/console/tickets/{number}/messages?after={ids[0]}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-message-id="{ids[1]}"' in html and f'data-message-id="{ids[0]}"' not in html
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    hidden = sign_in(stranger).get(f"/console/tickets/{number}/messages")
    assert hidden.status_code == 404
