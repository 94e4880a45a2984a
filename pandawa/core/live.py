"""Live updates for the console: small events, published after commit, read as SSE or polled.

What travels: `{"type": "message"|"status"|"ticket", "ticket": "PDW-…", "queue": "CODE",
"message_id": id, "status": "…", "direction": "in"|"out", "event": kind, "assignee": user id,
"office": "CODE"}`
and nothing else — never a message body, a name or a phone number (`_clean` drops any other
key). The page fetches the content itself, with the signed-in user's rights.

Where it travels: one Redis *stream* per queue (`pandawa:live:queue:CODE`, XADD with
MAXLEN ~ 1000) rather than pub/sub. A stream entry has an id, so the SSE endpoint and the poll
fallback share one cursor (per queue: the last entry id seen), a browser that reconnects
(`Last-Event-ID`) or polls every 5 s misses nothing that is still in the stream, and any
number of web processes read the same streams. Pub/sub would lose everything published while
a browser reconnects, and polling could not use it at all.

Without REDIS_URL (the embedded dev stack, where the web server and the worker are separate
processes sharing only the database) the database carries the streams: a `live_event` row per
event, written in the transaction that makes the change, and each open stream polls the table
every 0.2 s from the last id it saw (`DatabaseBus`, `pandawa.core.live_db`). `MemoryBus` keeps
the same streams in one process's memory (tests of the stream logic).

When: events are collected while a transaction runs and published once it commits (dropped
on rollback), like `pandawa.core.jobs`; on the database bus they are written just before the
commit, in the same transaction. Ticket changes and messages on tickets are noticed by an
ORM flush listener (every state change of a ticket writes a `TicketEvent`; every message of a
ticket is a `Message` row with `ticket_id`), so no operation has to remember to announce
itself. Delivery statuses change by Core UPDATEs the ORM cannot see: the status callback and
the send task call `status_after_commit`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event as sa_event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pandawa.core import live_db
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from pandawa.core.redis_client import get_redis

log = logging.getLogger(__name__)

STREAM_PREFIX = "pandawa:live:queue:"
MAXLEN = 1000
EVENT_TYPES = ("message", "status", "ticket")
# claimed for sending, put back: the page shows the same clock for both, no event needed
QUIET_STATUSES = ("pending", "sending")
# the only keys an event may carry: identifiers and states, no personal data
ALLOWED_KEYS = (
    "type",
    "ticket",
    "queue",
    "message_id",
    "status",
    "direction",
    "event",
    "assignee",
    "office",  # the ticket's office code: a supervisor bound to offices reads hers (issue 17)
)

RAW = "pandawa.core.live.raw"  # what the flushes touched: resolved to events before the commit
READY = "pandawa.core.live.ready"  # events waiting for the commit


@dataclass(frozen=True)
class Entry:
    queue: str
    id: str
    event: dict


class Bus(Protocol):
    def append(self, events: list[dict]) -> None: ...

    def heads(self, queues: Iterable[str]) -> dict[str, str]: ...

    def read(self, cursor: dict[str, str], block_ms: int = 0, count: int = 100) -> list[Entry]: ...


# --- publishing -------------------------------------------------------------------------------


def publish_after_commit(session: Session, event: dict) -> None:
    """Publish `event` once `session` commits; dropped if it rolls back."""
    cleaned = _clean(event)
    if cleaned is not None:
        session.info.setdefault(READY, []).append(cleaned)


def status_after_commit(
    session: Session,
    *,
    message_id: int | None = None,
    provider: str | None = None,
    provider_message_id: str | None = None,
) -> None:
    """A delivery status changed by a Core UPDATE: announce the message's new status after the
    commit (looked up before it, so the event names the ticket and the queue)."""
    if message_id is not None:
        session.info.setdefault(RAW, []).append(("status", message_id))
    elif provider and provider_message_id:
        session.info.setdefault(RAW, []).append(("status_sid", (provider, provider_message_id)))


def publish(events: list[dict], app: Flask | None = None) -> None:
    """Publish now. Live updates are best effort: an outage is logged, never raised."""
    events = [e for e in (_clean(e) for e in events) if e is not None]
    if not events:
        return
    try:
        get_bus(app).append(events)
    except (RedisError, SQLAlchemyError):
        log.warning("live: could not publish %s events", len(events), exc_info=True)


def _clean(event: dict) -> dict | None:
    if event.get("type") not in EVENT_TYPES or not event.get("queue"):
        return None
    return {
        k: v
        for k, v in event.items()
        if k in ALLOWED_KEYS and (v is None or isinstance(v, int | str))
    }


# --- after the commit: publish what the transaction collected -----------------------------


def init_app(app: Flask) -> None:
    """Publish collected events after each commit (or write them just before it, on the
    database bus), drop them on rollback (once per process)."""
    for name, listener in (
        ("before_commit", _write_ready),
        ("after_commit", _publish_ready),
        ("after_soft_rollback", _drop),
    ):
        if not sa_event.contains(Session, name, listener):
            sa_event.listen(Session, name, listener)


def take_changes(session: Session) -> list[tuple[str, Any]]:
    """The raw changes noted during the transaction (by `note_change`), for the layer that
    resolves them into events before the commit (`pandawa.tickets.live`)."""
    return session.info.pop(RAW, [])


def add_ready(session: Session, events: list[dict]) -> None:
    """Events resolved before the commit, published once it succeeds."""
    session.info.setdefault(READY, []).extend(events)
    _write_ready(session)  # called from a `before_commit` hook: the database bus writes now


def _write_ready(session: Session) -> None:
    """On the database bus, the events join the transaction itself: visible when it commits."""
    if not session.info.get(READY) or not uses_database(None):
        return
    live_db.write(session, session.info.pop(READY))


def _publish_ready(session: Session) -> None:
    events = session.info.pop(READY, [])
    if events:
        publish(events)


def _drop(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(RAW, None)
        session.info.pop(READY, None)


# --- the buses --------------------------------------------------------------------------------


def get_bus(app: Flask | None = None) -> Bus:
    """Redis streams when REDIS_URL is set; else the `live_event` table."""

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    client = get_redis(settings_of(app))
    if client is not None:
        return RedisBus(client)
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        engine = db.engine
    else:  # never push a context inside a request: popping it would end the request's session
        with app.app_context():
            engine = db.engine
    return DatabaseBus(engine, settings_of(app).live_poll_ms / 1000)


def uses_database(app: Flask | None) -> bool:
    """Whether live events travel through the database (no REDIS_URL)."""
    if app is None:
        if not has_app_context():
            return False
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    return not settings_of(app).redis_url


class RedisBus:
    def __init__(self, client: Any) -> None:
        self.client = client

    def append(self, events: list[dict]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for event in events:
            pipe.xadd(
                STREAM_PREFIX + event["queue"],
                {"data": json.dumps(event, separators=(",", ":"))},
                maxlen=MAXLEN,
                approximate=True,
            )
        pipe.execute()

    def heads(self, queues: Iterable[str]) -> dict[str, str]:
        codes = list(queues)
        pipe = self.client.pipeline(transaction=False)
        for code in codes:
            pipe.xrevrange(STREAM_PREFIX + code, count=1)
        heads = {}
        for code, last in zip(codes, pipe.execute(), strict=True):
            heads[code] = _text(last[0][0]) if last else "0-0"
        return heads

    def read(self, cursor: dict[str, str], block_ms: int = 0, count: int = 100) -> list[Entry]:
        if not cursor:
            return []
        streams = {STREAM_PREFIX + code: last for code, last in cursor.items()}
        found = self.client.xread(streams, count=count, block=block_ms or None)
        entries = []
        for key, items in found or []:
            code = _text(key).removeprefix(STREAM_PREFIX)
            for entry_id, fields in items:
                data = fields.get(b"data") or fields.get("data")
                entries.append(Entry(code, _text(entry_id), json.loads(data)))
        return sorted(entries, key=lambda e: _id_key(e.id))


class DatabaseBus:
    """The streams as rows of `live_event` (no REDIS_URL): every process of the machine sees
    them. A blocking read polls every `poll_seconds`, on a connection taken for each query
    (an open stream holds none)."""

    def __init__(self, engine: Any, poll_seconds: float = 0.2) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds

    def append(self, events: list[dict]) -> None:
        """Publish now, in a transaction of its own (events not tied to a session's)."""
        with self.engine.begin() as conn:
            live_db.write(conn, events)

    def heads(self, queues: Iterable[str]) -> dict[str, str]:
        codes = list(queues)
        if not codes:
            return {}
        with self.engine.connect() as conn:
            last = live_db.last_id(conn)
        return {code: f"{last}-0" for code in codes}

    def read(self, cursor: dict[str, str], block_ms: int = 0, count: int = 100) -> list[Entry]:
        if not cursor:
            return []
        after = {code: _id_key(last)[0] for code, last in cursor.items()}
        # the stream's own timer (monotonic), not business time: see console/events.py
        deadline = time.monotonic() + block_ms / 1000
        while True:
            with self.engine.connect() as conn:
                rows = live_db.rows_after(conn, after, count)
            if rows or time.monotonic() >= deadline:
                return [Entry(queue, f"{row_id}-0", event) for queue, row_id, event in rows]
            time.sleep(max(0.0, min(self.poll_seconds, deadline - time.monotonic())))


class MemoryBus:
    """The same streams in this process's memory (no REDIS_URL): one process only."""

    def __init__(self, maxlen: int = MAXLEN) -> None:
        self._streams: dict[str, deque[Entry]] = {}
        self._maxlen = maxlen
        self._seq = 0
        self._changed = threading.Condition()

    def append(self, events: list[dict]) -> None:
        with self._changed:
            for event in events:
                self._seq += 1
                stream = self._streams.setdefault(event["queue"], deque(maxlen=self._maxlen))
                stream.append(Entry(event["queue"], f"{self._seq}-0", dict(event)))
            self._changed.notify_all()

    def heads(self, queues: Iterable[str]) -> dict[str, str]:
        with self._changed:
            return {
                code: (self._streams[code][-1].id if self._streams.get(code) else "0-0")
                for code in queues
            }

    def read(self, cursor: dict[str, str], block_ms: int = 0, count: int = 100) -> list[Entry]:
        with self._changed:
            found = self._after(cursor, count)
            if not found and block_ms:
                self._changed.wait(block_ms / 1000)
                found = self._after(cursor, count)
            return found

    def _after(self, cursor: dict[str, str], count: int) -> list[Entry]:
        found = []
        for code, last in cursor.items():
            floor = _id_key(last)
            found += [e for e in self._streams.get(code, ()) if _id_key(e.id) > floor][:count]
        return sorted(found, key=lambda e: _id_key(e.id))[:count]


# --- cursors: the last entry id per queue, opaque to the browser ------------------------------


def encode_cursor(cursor: dict[str, str]) -> str:
    raw = json.dumps(cursor, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> dict[str, str]:
    """The cursor a browser sent back; ValueError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        data = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a live cursor") from exc
    if not isinstance(data, dict):
        raise ValueError("not a live cursor")
    for code, last in data.items():
        if not isinstance(code, str) or not isinstance(last, str):
            raise ValueError("not a live cursor")
        _id_key(last)
    return data


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    if not ms.isdigit() or not (seq or "0").isdigit():
        raise ValueError(f"not a stream id: {entry_id!r}")
    return int(ms), int(seq or 0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
