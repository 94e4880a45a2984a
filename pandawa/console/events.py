"""Live events for the console: `GET /console/events` (server-sent events), the poll fallback
`GET /console/events/poll?after=<cursor>`, and the bubbles fragment the page fetches when a
message event arrives (`GET /console/tickets/<number>/messages?after=<id>`).

Events come from `pandawa.live` (Redis streams, one per queue). An agent reads the streams of
their queues, a supervisor or admin those of every queue. The SSE `id:` of each event is the
cursor after it, so a browser that reconnects with `Last-Event-ID` resumes where it stopped;
the poll endpoint takes and returns the same cursor.

A stream ends after MAX_STREAM_SECONDS (the browser reconnects at once, resuming): with sync
gunicorn workers every open stream holds a worker, so the web process should run threaded
workers (`--worker-class gthread --threads 8`; see the README). The stream's timers are
monotonic process time, not `pandawa.clock`: they measure the connection, not business time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_login import current_user
from redis.exceptions import RedisError

from pandawa import live
from pandawa.channels.models import Message
from pandawa.console.csp import secure_headers
from pandawa.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint(
    "live",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/live-static",
)
bp.after_request(secure_headers)

RETRY_MS = 3000  # the browser's reconnect delay after a stream ends
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 300.0
BLOCK_MS = 1000  # one Redis read waits at most this long (below the client's 2 s timeout)
POLL_COUNT = 200
MAX_FRAGMENT_MESSAGES = 200


@bp.before_request
def require_user() -> Any:
    if request.endpoint == "live.static":
        return None
    if not getattr(current_user, "is_authenticated", False):
        return _error(401, "unauthorized", "Silakan masuk terlebih dahulu. / Please sign in.")
    return None


@bp.get("/events")
def stream() -> Response:
    queues = _visible_queue_codes()
    bus = live.get_bus()
    try:
        cursor = _start_cursor(bus, queues, request.headers.get("Last-Event-ID"))
    except RedisError:
        log.warning("live: Redis unreachable; no event stream", exc_info=True)
        return _error(503, "unavailable", "Pembaruan langsung tidak tersedia. / Live unavailable.")
    # nothing below needs the database: give the connection back for the stream's lifetime
    db.session.remove()
    settings = {
        "keepalive": float(_config("LIVE_KEEPALIVE_SECONDS", KEEPALIVE_SECONDS)),
        "max_seconds": float(_config("LIVE_MAX_STREAM_SECONDS", MAX_STREAM_SECONDS)),
        "block_ms": int(_config("LIVE_BLOCK_MS", BLOCK_MS)),
    }
    response = Response(_sse(bus, cursor, **settings), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


@bp.get("/events/poll")
def poll() -> Response:
    queues = _visible_queue_codes()
    bus = live.get_bus()
    after = request.args.get("after")
    try:
        if not after:  # the first poll: start from now
            return jsonify(events=[], cursor=live.encode_cursor(bus.heads(queues)))
        cursor = _start_cursor(bus, queues, after, strict=True)
        entries = bus.read(cursor, count=POLL_COUNT)
    except ValueError:
        return _error(400, "invalid_cursor", "Kursor tidak dikenal. / Unknown cursor.")
    except RedisError:
        log.warning("live: Redis unreachable; poll answered 503", exc_info=True)
        return _error(503, "unavailable", "Pembaruan langsung tidak tersedia. / Live unavailable.")
    for entry in entries:
        cursor[entry.queue] = entry.id
    return jsonify(events=[e.event for e in entries], cursor=live.encode_cursor(cursor))


@bp.get("/tickets/<number>/messages")
def bubbles(number: str) -> str:
    """The ticket's messages after `after` (a message id), as list items for the page."""
    from pandawa.tickets.queries import get_visible_ticket

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
    return render_template("console/_live_bubbles.html", ticket=ticket, messages=messages)


def _visible_queue_codes() -> list[str]:
    from pandawa.tickets.models import Queue

    user = current_user._get_current_object()
    if user.sees_all_queues:
        codes = list(db.session.scalars(sa.select(Queue.code).order_by(Queue.code)))
    else:
        codes = sorted(queue.code for queue in user.queues)
    return codes


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
    bus: live.Bus, cursor: dict[str, str], *, keepalive: float, max_seconds: float, block_ms: int
) -> Iterator[str]:
    # the id-only block sets the browser's Last-Event-ID at once: a reconnect before any
    # event resumes from here instead of from whenever it reconnects
    yield f"retry: {RETRY_MS}\nid: {live.encode_cursor(cursor)}\n\n"
    started = last_write = time.monotonic()
    while time.monotonic() - started < max_seconds:
        try:
            entries = bus.read(cursor, block_ms=block_ms)
        except RedisError:
            log.warning("live: Redis read failed; ending the stream (the browser reconnects)")
            return
        for entry in entries:
            cursor[entry.queue] = entry.id
            data = json.dumps(entry.event, separators=(",", ":"))
            kind = entry.event["type"]
            yield f"id: {live.encode_cursor(cursor)}\nevent: {kind}\ndata: {data}\n\n"
        if entries:
            last_write = time.monotonic()
        elif time.monotonic() - last_write >= keepalive:
            last_write = time.monotonic()
            yield ": keep-alive\n\n"


def _config(name: str, default: Any) -> Any:
    from flask import current_app

    return current_app.config.get(name, default)


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return response
