"""Live events for the console: `GET /console/events` (server-sent events), the poll fallback
`GET /console/events/poll?after=<cursor>`, and the bubbles fragment the page fetches when a
message event arrives (`GET /console/tickets/<number>/messages?after=<id>`).

Events come from `pandawa.core.live` (Redis streams, one per queue; without REDIS_URL the
`live_event` table). An agent reads the streams of
their queues, a supervisor or admin those of every queue. The SSE `id:` of each event is the
cursor after it, so a browser that reconnects with `Last-Event-ID` resumes where it stopped;
the poll endpoint takes and returns the same cursor, and a console going back from polling to
the stream passes it as `/console/events?after=<cursor>`.

A stream ends after MAX_STREAM_SECONDS (the browser reconnects at once, resuming). Every open
stream holds a thread of the web process (gunicorn gthread, see the Procfile), so a process
opens at most `max_streams()` of them at once and keeps the rest of its threads for ordinary
requests (webhooks, claims, replies): beyond that `/console/events` answers 503 `busy` at once
and the console polls `/console/events/poll` until a slot frees. The stream's timers are
monotonic process time, not `pandawa.core.clock`: they measure the connection, not business time.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from pandawa.channels.models import Message
from pandawa.core import live
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue
from pandawa.tickets.queries import get_visible_ticket, is_office_scoped, visible_offices_clause
from pandawa.web.reveal import may_reveal
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint("live", __name__, url_prefix="/console", static_url_path="/live-static")

RETRY_MS = 3000  # the browser's reconnect delay after a stream ends
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 300.0
BLOCK_MS = 1000  # one Redis read waits at most this long (below the client's 2 s timeout)
POLL_COUNT = 200
MAX_FRAGMENT_MESSAGES = 200
# streams per process without LIVE_MAX_STREAMS or gunicorn's thread count (`pandawa dev` and
# `flask run` start a thread per request: the cap only bounds what one browser tab can hold)
DEFAULT_MAX_STREAMS = 16
WEB_THREADS_ENV = "PANDAWA_WEB_THREADS"  # set by gunicorn.conf.py in each worker
BUSY_RETRY_AFTER_SECONDS = 60
BUSY_MESSAGE = (
    "Semua saluran pembaruan langsung sedang terpakai; konsol memeriksa pembaruan tiap 5 detik. "
    "/ Every live-update stream is in use; the console checks for updates every 5 seconds."
)


@bp.before_request
def require_user() -> Any:
    if request.endpoint == "live.static":
        return None
    if not getattr(current_user, "is_authenticated", False):
        return _error(401, "unauthorized", "Silakan masuk terlebih dahulu. / Please sign in.")
    return None


@bp.get("/events")
def stream() -> Response:
    slot = _stream_slots().take()
    if slot is None:
        log.info("live: no free stream slot in this process; answered 503 busy (the page polls)")
        response = _error(503, "busy", BUSY_MESSAGE)
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
        return response
    try:
        return _open_stream(slot)
    except BaseException:
        slot.release()
        raise


def _open_stream(slot: _Slot) -> Response:
    """The stream's response, holding `slot` until it is closed (the stream ended, the client
    left, or the server closed the response before the generator ever ran)."""
    queues = _visible_queue_codes()
    offices = _visible_office_codes()
    bus = live.get_bus()
    try:
        # Last-Event-ID: the browser reconnecting; `after`: a console coming back from polling
        sent = request.headers.get("Last-Event-ID") or request.args.get("after")
        cursor = _start_cursor(bus, queues, sent)
    except (RedisError, SQLAlchemyError):
        slot.release()
        log.warning("live: Redis unreachable; no event stream", exc_info=True)
        return _error(503, "unavailable", "Pembaruan langsung tidak tersedia. / Live unavailable.")
    # nothing below needs the database: give the connection back for the stream's lifetime
    db.session.remove()
    settings = {
        "keepalive": float(_config("LIVE_KEEPALIVE_SECONDS", KEEPALIVE_SECONDS)),
        "max_seconds": float(_config("LIVE_MAX_STREAM_SECONDS", MAX_STREAM_SECONDS)),
        "block_ms": int(_config("LIVE_BLOCK_MS", BLOCK_MS)),
    }
    events = _sse(bus, cursor, release=slot.release, offices=offices, **settings)
    response = Response(events, mimetype="text/event-stream")
    # a generator that never started does not run its `finally`: closing the response does
    response.call_on_close(slot.release)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


@bp.get("/events/poll")
def poll() -> Response:
    queues = _visible_queue_codes()
    offices = _visible_office_codes()
    bus = live.get_bus()
    after = request.args.get("after")
    try:
        if not after:  # the first poll: start from now
            return jsonify(events=[], cursor=live.encode_cursor(bus.heads(queues)))
        cursor = _start_cursor(bus, queues, after, strict=True)
        entries = bus.read(cursor, count=POLL_COUNT)
    except ValueError:
        return _error(400, "invalid_cursor", "Kursor tidak dikenal. / Unknown cursor.")
    except (RedisError, SQLAlchemyError):
        log.warning("live: Redis unreachable; poll answered 503", exc_info=True)
        return _error(503, "unavailable", "Pembaruan langsung tidak tersedia. / Live unavailable.")
    for entry in entries:
        cursor[entry.queue] = entry.id
    shown = [e.event for e in entries if _in_sight(e, offices)]
    return jsonify(events=shown, cursor=live.encode_cursor(cursor))


@bp.get("/tickets/<number>/messages")
def bubbles(number: str) -> str:
    """The ticket's messages after `after` (a message id), as list items for the page."""

    ticket = get_visible_ticket(number, current_user._get_current_object())
    if ticket is None:
        abort(404)
    after = request.args.get("after", "0")
    stmt = (
        sa.select(Message)
        .where(Message.ticket_id == ticket.id, Message.id > (int(after) if after.isdigit() else 0))
        .order_by(Message.id)
        .limit(MAX_FRAGMENT_MESSAGES)
    )
    messages = list(db.session.scalars(stmt))
    db.session.rollback()
    return render_template(
        "console/_live_bubbles.html",
        ticket=ticket,
        messages=messages,
        may_reveal=may_reveal(current_user._get_current_object()),
    )


def _visible_queue_codes() -> list[str]:
    user = current_user._get_current_object()
    if user.sees_all_queues:
        codes = list(db.session.scalars(sa.select(Queue.code).order_by(Queue.code)))
    else:
        codes = sorted(queue.code for queue in user.queues)
    return codes


def _visible_office_codes() -> frozenset[str] | None:
    """The offices a supervisor bound to offices reads events of (issue 17); None: any (the
    streams are per queue, and a queue serves every office)."""
    user = current_user._get_current_object()
    if not is_office_scoped(user):
        return None
    stmt = sa.select(Office.code).where(visible_offices_clause(user))
    return frozenset(db.session.scalars(stmt))


def _in_sight(entry: live.Entry, offices: frozenset[str] | None) -> bool:
    return offices is None or entry.event.get("office") in offices


def _start_cursor(
    bus: live.Bus, queues: list[str], sent: str | None, *, strict: bool = False
) -> dict[str, str]:
    """The user's queues from now, or from where a cursor the browser sent back left off.
    Only the user's queues count: a cursor cannot widen what they read."""
    resumed: dict[str, str] = {}
    if sent:
        try:
            resumed = live.decode_cursor(sent)
        except ValueError:
            if strict:
                raise
            log.info("live: unreadable Last-Event-ID; starting from now")
    missing = [code for code in queues if code not in resumed]
    cursor = bus.heads(missing) if missing else {}
    cursor.update({code: resumed[code] for code in queues if code in resumed})
    return cursor


def _sse(
    bus: live.Bus,
    cursor: dict[str, str],
    *,
    release: Callable[[], None],
    keepalive: float,
    max_seconds: float,
    block_ms: int,
    offices: frozenset[str] | None = None,
) -> Iterator[str]:
    try:
        # the id-only block sets the browser's Last-Event-ID at once: a reconnect before any
        # event resumes from here instead of from whenever it reconnects
        yield f"retry: {RETRY_MS}\nid: {live.encode_cursor(cursor)}\n\n"
        started = last_write = time.monotonic()
        while time.monotonic() - started < max_seconds:
            try:
                entries = bus.read(cursor, block_ms=block_ms)
            except (RedisError, SQLAlchemyError):
                log.warning("live: Redis read failed; ending the stream (the browser reconnects)")
                return
            for entry in entries:  # another office's events: passed over, never sent
                if not _in_sight(entry, offices):
                    cursor[entry.queue] = entry.id
            entries = [entry for entry in entries if _in_sight(entry, offices)]
            if entries:
                # one write for everything one read returned (up to 100 events): a burst, such
                # as the release of the weekend's tickets at opening, is not a write per event
                yield "".join(_sse_event(entry, cursor) for entry in entries)
                last_write = time.monotonic()
            elif time.monotonic() - last_write >= keepalive:
                last_write = time.monotonic()
                yield ": keep-alive\n\n"
    finally:  # ended, Redis failed, or the client left (the server closes the generator)
        release()


def _sse_event(entry: live.Entry, cursor: dict[str, str]) -> str:
    """One event block; `cursor` moves past the entry and becomes its id."""
    cursor[entry.queue] = entry.id
    data = json.dumps(entry.event, separators=(",", ":"))
    return f"id: {live.encode_cursor(cursor)}\nevent: {entry.event['type']}\ndata: {data}\n\n"


def max_streams(live_max_streams: int | None, environ: Mapping[str, str] = os.environ) -> int:
    """How many streams one web process may hold open: LIVE_MAX_STREAMS when set; else the
    worker's threads (exported by gunicorn.conf.py) less a reserve for ordinary requests of a
    quarter of them, at least 2; else DEFAULT_MAX_STREAMS."""
    if live_max_streams is not None:
        return max(0, live_max_streams)
    threads = environ.get(WEB_THREADS_ENV, "").strip()
    if not (threads.isascii() and threads.isdigit() and int(threads) > 0):
        return DEFAULT_MAX_STREAMS
    count = int(threads)
    return max(0, count - max(2, count // 4))


class _Slot:
    """One taken stream slot; `release` gives it back once, however often it is called."""

    __slots__ = ("_lock", "_semaphore")

    def __init__(self, semaphore: threading.BoundedSemaphore) -> None:
        self._lock = threading.Lock()
        self._semaphore: threading.BoundedSemaphore | None = semaphore

    def release(self) -> None:
        with self._lock:
            semaphore, self._semaphore = self._semaphore, None
        if semaphore is not None:
            semaphore.release()


class _StreamSlots:
    """The stream slots of one process (of one app): taken without waiting."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pid = os.getpid()
        self._semaphore = threading.BoundedSemaphore(size) if size > 0 else None

    def take(self) -> _Slot | None:
        if self._semaphore is None or not self._semaphore.acquire(blocking=False):
            return None
        return _Slot(self._semaphore)


_slots_lock = threading.Lock()


def _stream_slots() -> _StreamSlots:
    """Made on the first stream in each process (after gunicorn's fork and its hook); made
    again if the size changes (tests), the open streams releasing into the old one."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    size = max_streams(settings_of(app).live_max_streams)
    with _slots_lock:
        slots = app.extensions.get("pandawa.live_slots")
        if slots is None or slots.pid != os.getpid() or slots.size != size:
            slots = app.extensions["pandawa.live_slots"] = _StreamSlots(size)
    return slots


def _config(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return response
