"""pandawa.core.live: events are published after the commit, only then, and carry no
personal data."""

from __future__ import annotations

import json

from pandawa.channels.models import Message
from pandawa.core import live
from pandawa.core.clock import now
from pandawa.tickets import claims, operations

CITIZEN_DIGITS = "6281299887766"
SECRET_BODY = "NIK saya 3171234567890001, tolong dicek"


def _inbound(session, ticket, body: str = SECRET_BODY) -> Message:
    message = Message(
        direction="in",
        provider="twilio",
        provider_message_id=f"SMlive{ticket.id}x{now().timestamp()}",
        sender=f"whatsapp:+{CITIZEN_DIGITS}",
        recipient="whatsapp:+6281100000000",
        body=body,
        status="processed",
        ticket_id=ticket.id,
        conversation_id=ticket.conversation_id,
        created_at=now(),
        updated_at=now(),
    )
    session.add(message)
    session.flush()
    return message


def test_published_only_after_the_commit(session, make_queue, stream_reader):
    queue = make_queue()
    read = stream_reader([queue.code])
    live.publish_after_commit(session, {"type": "ticket", "ticket": "PDW-X", "queue": queue.code})
    assert read() == []  # not yet: the transaction may still roll back

    session.commit()

    [entry] = read()
    assert entry.queue == queue.code
    assert entry.event == {"type": "ticket", "ticket": "PDW-X", "queue": queue.code}


def test_a_rolled_back_transaction_publishes_nothing(session, make_queue, stream_reader):
    queue = make_queue()
    session.commit()
    read = stream_reader([queue.code])
    live.publish_after_commit(session, {"type": "ticket", "ticket": "PDW-Y", "queue": queue.code})
    session.rollback()
    session.commit()  # a later commit does not bring it back

    assert read() == []


def test_a_message_on_a_ticket_is_announced_without_its_body_or_number(
    session, make_queue, make_ticket, stream_reader
):
    queue = make_queue()
    ticket = make_ticket(queue=queue)
    read = stream_reader([queue.code])
    message = _inbound(session, ticket)
    session.commit()

    [entry] = read()
    assert entry.event["type"] == "message"
    assert entry.event["ticket"] == ticket.number
    assert entry.event["message_id"] == message.id
    assert entry.event["direction"] == "in"
    raw = json.dumps(entry.event)
    assert "3171234567890001" not in raw and "tolong" not in raw
    assert CITIZEN_DIGITS not in raw and "Siti" not in raw


def test_extra_keys_never_travel(session, make_queue, stream_reader):
    queue = make_queue()
    read = stream_reader([queue.code])
    live.publish_after_commit(
        session,
        {
            "type": "message",
            "queue": queue.code,
            "ticket": "PDW-Z",
            "body": SECRET_BODY,
            "from": f"whatsapp:+{CITIZEN_DIGITS}",
            "contact": {"name": "Siti"},
        },
    )
    session.commit()

    [entry] = read()
    assert entry.event == {"type": "message", "queue": queue.code, "ticket": "PDW-Z"}


def test_claim_and_transfer_reach_the_queues_concerned(
    session, make_queue, make_ticket, make_user, stream_reader
):
    source, target = make_queue(), make_queue()
    ticket = make_ticket(queue=source)
    agent = make_user(queues=[source])
    supervisor = make_user(role="supervisor")
    read_source, read_target = stream_reader([source.code]), stream_reader([target.code])

    claims.claim_next(session, agent)
    session.commit()
    [claimed] = read_source()
    assert claimed.event["event"] == "claimed"
    assert claimed.event["status"] == "assigned"
    assert claimed.event["assignee"] == agent.id
    assert read_target() == []

    read_source = stream_reader([source.code])
    operations.transfer(session, ticket, supervisor, target.code, reason="salah antrean")
    session.commit()
    assert [e.event["event"] for e in read_source()] == ["transferred"]
    [moved] = read_target()
    assert moved.event == {
        "type": "ticket",
        "ticket": ticket.number,
        "queue": target.code,
        "event": "transferred",
        "status": "waiting",
        "assignee": None,
    }
    assert "salah antrean" not in json.dumps(moved.event)


def test_memory_bus_keeps_the_same_cursor_rules():
    bus = live.MemoryBus(maxlen=3)
    start = bus.heads(["A", "B"])
    assert start == {"A": "0-0", "B": "0-0"}
    bus.append([{"type": "ticket", "queue": "A", "ticket": "1"}])
    bus.append([{"type": "ticket", "queue": "B", "ticket": "2"}])
    bus.append([{"type": "ticket", "queue": "A", "ticket": "3"}])

    assert [e.event["ticket"] for e in bus.read({"A": "0-0"})] == ["1", "3"]
    first = bus.read({"A": "0-0"})[0]
    assert [e.event["ticket"] for e in bus.read({"A": first.id, "B": "0-0"})] == ["2", "3"]
    assert bus.read(bus.heads(["A", "B"])) == []


def test_cursors_round_trip_and_reject_strangers():
    cursor = {"KEPESERTAAN": "1700000000000-0", "PENGADUAN": "0-0"}
    assert live.decode_cursor(live.encode_cursor(cursor)) == cursor
    for bad in ("", "not-base64!", live.encode_cursor({"A": "x-y"}).rstrip(), "W10"):
        try:
            live.decode_cursor(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
