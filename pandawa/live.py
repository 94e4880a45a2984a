"""Live updates for the console: small events, published after commit, read as SSE or polled.

What travels: `{"type": "message"|"status"|"ticket", "ticket": "PDW-…", "queue": "CODE",
"message_id": id, "status": "…", "direction": "in"|"out", "event": kind, "assignee": user id}`
and nothing else — never a message body, a name or a phone number (`_clean` drops any other
key). The page fetches the content itself, with the signed-in user's rights.

Where it travels: one Redis *stream* per queue (`pandawa:live:queue:CODE`, XADD with
MAXLEN ~ 1000) rather than pub/sub. A stream entry has an id, so the SSE endpoint and the poll
fallback share one cursor (per queue: the last entry id seen), a browser that reconnects
(`Last-Event-ID`) or polls every 5 s misses nothing that is still in the stream, and any
number of web processes read the same streams. Pub/sub would lose everything published while
a browser reconnects, and polling could not use it at all.

Without REDIS_URL (the embedded dev stack) a `MemoryBus` keeps the same streams in this
process's memory: it works only within one process. The dev stack runs the web and the worker
as separate processes, so there the worker's events never reach the web process; the page
still works (it reloads what it shows on navigation) but is not live. Set REDIS_URL for live.

When: events are collected while a transaction runs and published once it commits (dropped
on rollback), like `pandawa.jobs`. Ticket changes and messages on tickets are noticed by an
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
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

STREAM_PREFIX = "pandawa:live:queue:"
MAXLEN = 1000
EVENT_TYPES = ("message", "status", "ticket")
# claimed for sending, put back: the page shows the same clock for both, no event needed
QUIET_STATUSES = ("pending", "sending")
# the only keys an event may carry: identifiers and states, no personal data
ALLOWED_KEYS = ("type", "ticket", "queue", "message_id", "status", "direction", "event", "assignee")

_RAW = "pandawa.live.raw"  # what the flushes touched: resolved to events before the commit
_READY = "pandawa.live.ready"  # events waiting for the commit


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
        session.info.setdefault(_READY, []).append(cleaned)


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
        session.info.setdefault(_RAW, []).append(("status", message_id))
    elif provider and provider_message_id:
        session.info.setdefault(_RAW, []).append(("status_sid", (provider, provider_message_id)))


def publish(events: list[dict], app: Flask | None = None) -> None:
    """Publish now. Live updates are best effort: an outage is logged, never raised."""
    events = [e for e in (_clean(e) for e in events) if e is not None]
    if not events:
        return
    try:
        get_bus(app).append(events)
    except RedisError:
        log.warning("live: could not publish %s events (Redis)", len(events), exc_info=True)


def _clean(event: dict) -> dict | None:
    if event.get("type") not in EVENT_TYPES or not event.get("queue"):
        return None
    return {
        k: v
        for k, v in event.items()
        if k in ALLOWED_KEYS and (v is None or isinstance(v, int | str))
    }


# --- noticing changes: flush → resolve before commit → publish after commit ----------------


@sa_event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    from pandawa.channels.models import Message
    from pandawa.tickets.models import TicketEvent

    raw = session.info.setdefault(_RAW, [])
    for obj in session.new:
        if isinstance(obj, TicketEvent):
            raw.append(("ticket", (obj.ticket_id, obj.kind, dict(obj.data or {}))))
        elif isinstance(obj, Message) and obj.ticket_id is not None:
            raw.append(("message", obj.id))
    for obj in session.dirty:
        if not isinstance(obj, Message) or obj.ticket_id is None:
            continue
        state = sa.inspect(obj)
        if state.attrs.ticket_id.history.has_changes():
            raw.append(("message", obj.id))
        elif (
            obj.direction == "out"
            and obj.status not in QUIET_STATUSES
            and state.attrs.status.history.has_changes()
        ):
            raw.append(("status", obj.id))
    if not raw:
        session.info.pop(_RAW, None)


@sa_event.listens_for(Session, "before_commit")
def _resolve(session: Session) -> None:
    if not session.info.get(_RAW):
        return
    session.flush()  # the commit's own flush comes after this hook: collect it now
    raw = session.info.pop(_RAW, [])
    try:
        events = _events_for(session, raw)
    except Exception:  # a live update must never cost the transaction it reports on
        log.warning("live: could not resolve %s changes; not published", len(raw), exc_info=True)
        return
    session.info.setdefault(_READY, []).extend(events)


@sa_event.listens_for(Session, "after_commit")
def _publish_ready(session: Session) -> None:
    events = session.info.pop(_READY, [])
    if events:
        publish(events)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_RAW, None)
        session.info.pop(_READY, None)


class _TicketRef(NamedTuple):
    id: int
    number: str
    status: str
    assignee_id: int | None
    code: str


def _events_for(session: Session, raw: list[tuple[str, Any]]) -> list[dict]:
    from pandawa.channels.models import Message
    from pandawa.tickets.models import Queue, Ticket

    message_ids = {ref for kind, ref in raw if kind in ("message", "status")}
    sids = [ref for kind, ref in raw if kind == "status_sid"]
    messages: dict[int, Any] = {}
    tickets: dict[int, Any] = {}
    if message_ids or sids:
        where = [Message.id.in_(message_ids)] if message_ids else []
        where += [
            sa.and_(Message.provider == p, Message.provider_message_id == sid) for p, sid in sids
        ]
        # each message with its ticket and queue in one query: a send and a status callback
        # (the hot paths) need nothing else
        rows = session.execute(
            sa.select(
                Message.id,
                Message.ticket_id,
                Message.direction,
                Message.status,
                Message.provider,
                Message.provider_message_id,
                Ticket.number,
                Ticket.status.label("ticket_status"),
                Ticket.assignee_id,
                Queue.code,
            )
            .join(Ticket, Ticket.id == Message.ticket_id)
            .join(Queue, Queue.id == Ticket.queue_id)
            .where(sa.or_(*where))
        )
        for row in rows:
            messages[row.id] = row
            tickets[row.ticket_id] = _TicketRef(
                row.ticket_id, row.number, row.ticket_status, row.assignee_id, row.code
            )
    by_sid = {(m.provider, m.provider_message_id): m.id for m in messages.values()}
    wanted = {ref[0] for kind, ref in raw if kind == "ticket"} - set(tickets)
    if wanted:
        for row in session.execute(
            sa.select(Ticket.id, Ticket.number, Ticket.status, Ticket.assignee_id, Queue.code)
            .join(Queue, Queue.id == Ticket.queue_id)
            .where(Ticket.id.in_(wanted))
        ):
            tickets[row.id] = _TicketRef(*row)

    events: list[dict] = []
    for kind, ref in raw:
        if kind == "ticket":
            ticket_id, what, data = ref
            ticket = tickets.get(ticket_id)
            if ticket is None:
                continue
            queues = {ticket.code}
            if what == "transferred":  # the list of the queue it left changes too
                queues |= {q for q in (data.get("from"), data.get("to")) if isinstance(q, str)}
            for code in sorted(queues):
                events.append(
                    {
                        "type": "ticket",
                        "ticket": ticket.number,
                        "queue": code,
                        "event": what,
                        "status": ticket.status,
                        "assignee": ticket.assignee_id,
                    }
                )
            continue
        message_id = by_sid.get(ref) if kind == "status_sid" else ref
        message = messages.get(message_id) if message_id is not None else None
        ticket = tickets.get(message.ticket_id) if message is not None else None
        if ticket is None:
            continue
        event = {
            "type": "message" if kind == "message" else "status",
            "ticket": ticket.number,
            "queue": ticket.code,
            "message_id": message.id,
            "direction": message.direction,
            "assignee": ticket.assignee_id,
        }
        if message.direction == "out":
            event["status"] = message.status
        events.append(event)
    return events


# --- the buses --------------------------------------------------------------------------------


def get_bus(app: Flask | None = None) -> Bus:
    """Redis streams when REDIS_URL is set; else this process's in-memory streams."""
    from pandawa.redis_client import get_redis

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    client = get_redis(app.extensions["pandawa.settings"])
    if client is not None:
        return RedisBus(client)
    bus = app.extensions.get("pandawa.live.memory")
    if bus is None:
        bus = app.extensions.setdefault("pandawa.live.memory", MemoryBus())
    return bus


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
