"""pandawa.core.live: events are published after the commit, only then, and carry no
personal data; the cursors of the streams. (Which ORM changes become events:
tests/tickets/test_live.py.)"""

from __future__ import annotations

from pandawa.core import live

SECRET_BODY = "NIK saya 3171234567890001, tolong dicek"


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
            "from": "whatsapp:+6281299887766",
            "contact": {"name": "Siti"},
        },
    )
    session.commit()

    [entry] = read()
    assert entry.event == {"type": "message", "queue": queue.code, "ticket": "PDW-Z"}


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
