"""The dispatcher: publishes the task outbox (core/outbox.py) to Celery — Procfile `dispatcher`.

One loop: claim the oldest unpublished rows (`FOR UPDATE SKIP LOCKED`: two dispatchers on two
machines share the rows, never publish one at once), publish them in id order through one
pooled producer, stamp them published, commit; then sleep until PostgreSQL's
`NOTIFY pandawa_outbox` (sent by a statement trigger on every insert) or the poll interval
(`DISPATCHER_POLL_SECONDS`) wakes it. On SQLite (`pandawa dev`) it only polls.

Faults:
- broker down: the publish fails, the rows stay unpublished and every request still commits;
  the dispatcher tries again within a second or two and drains the backlog in order once the
  broker answers.
- broker back but empty (Redis restarted without persistence: every queued task gone): the
  dispatcher notices the broker's identity changed (Redis `run_id`) and publishes again the
  rows of the last `OUTBOX_REPLAY_SECONDS`; tasks are idempotent, so what had already run does
  nothing the second time.
- database down: logged, tried again; the listening connection is made anew.
- killed between publish and commit: the rows are published again by the next claim (at least
  once; the tasks make it exactly once in effect).

It also stamps its heartbeat (`dispatcher`, core/heartbeat.py) and prunes published rows older
than the replay window.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from datetime import timedelta
from types import FrameType
from typing import Any

import click
import psycopg
import redis
from flask import Flask, current_app
from flask.cli import with_appcontext

from pandawa.core import heartbeat, outbox
from pandawa.core.clock import now
from pandawa.core.config import Settings, settings_of
from pandawa.core.extensions import db

log = logging.getLogger(__name__)

BATCH = 500
STAMP_EVERY = 15.0  # seconds between heartbeat stamps
PRUNE_EVERY = 60.0
IDENTITY_EVERY = 2.0  # seconds between looks at the broker's identity
BACKOFF_START, BACKOFF_MAX = 0.25, 2.0  # after a failed publish or database error
COALESCE = 0.02  # seconds waited after a NOTIFY before claiming


class Dispatcher:
    def __init__(
        self, app: Flask, *, stop: threading.Event | None = None, poll: float | None = None
    ):
        self.app = app
        self.settings: Settings = settings_of(app)
        self.celery = app.extensions["celery"]
        self.stop = stop or threading.Event()
        self.poll = poll if poll is not None else self.settings.dispatcher_poll_seconds
        self._listener: Any = None
        self._broker_id: str | None = None
        self._due = {"stamp": 0.0, "prune": 0.0, "identity": 0.0}
        self._backoff = BACKOFF_START
        self.stamp_every = STAMP_EVERY

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> None:
        log.info("dispatcher started (poll %.2fs)", self.poll)
        while not self.stop.is_set():
            # first and on its own: a broker outage must not make the dispatcher look dead
            self._stamp()
            try:
                with self.app.app_context():
                    published = self.dispatch_once()
                    self._housekeeping()
            except Exception as exc:  # broker or database down: wait, then try again
                self._failed(exc)
                continue
            finally:
                with self.app.app_context():
                    db.session.remove()
            self._backoff = BACKOFF_START
            if published < BATCH:
                self._wait(self.poll)
        self._close_listener()
        log.info("dispatcher stopped")

    def dispatch_once(self) -> int:
        """Publish one batch of unpublished rows, in id order; returns how many went out."""
        session = db.session
        rows = outbox.claim(session, BATCH)
        if not rows:
            session.rollback()
            return 0
        done: list[int] = []
        try:
            self._publish_all(rows, done)
        finally:
            # what went out is stamped even when the broker failed half way: never twice
            outbox.mark_published(session, done)
            session.commit()
        return len(done)

    def replay(self, since_seconds: float | None = None) -> int:
        """Publish again every row published in the replay window (the broker lost them)."""
        window = since_seconds if since_seconds is not None else self.settings.outbox_replay_seconds
        since = now() - timedelta(seconds=window)
        session, after, count = db.session, 0, 0
        while True:
            rows = outbox.published_since(session, since, after, BATCH)
            session.rollback()
            if not rows:
                return count
            done: list[int] = []
            self._publish_all(rows, done)
            count += len(done)
            after = rows[-1].id

    # -- pieces ---------------------------------------------------------------------------

    def _publish_all(self, rows: list[outbox.Pending], done: list[int]) -> None:
        with self.celery.producer_or_acquire() as producer:
            for row in rows:
                self.celery.send_task(row.name, args=row.args, producer=producer, **row.options)
                done.append(row.id)

    def _housekeeping(self) -> None:
        tick = time.monotonic()
        if tick >= self._due["identity"]:
            self._due["identity"] = tick + IDENTITY_EVERY
            self._check_broker_identity()
        if tick >= self._due["prune"]:
            self._due["prune"] = tick + PRUNE_EVERY
            keep = timedelta(seconds=self.settings.outbox_replay_seconds)
            while outbox.prune(db.session, keep) == outbox.PRUNE_BATCH:
                db.session.commit()
            db.session.commit()

    def _stamp(self) -> None:
        """The heartbeat, when due, whatever the broker does (the database must answer)."""
        tick = time.monotonic()
        if tick < self._due["stamp"]:
            return
        with self.app.app_context():
            try:
                heartbeat.stamp(db.session, heartbeat.DISPATCHER)
                db.session.commit()
            except Exception:  # the database is down: the loop's own error says so
                db.session.rollback()
                return
            finally:
                db.session.remove()
        self._due["stamp"] = tick + self.stamp_every

    def _check_broker_identity(self) -> None:
        identity = broker_identity(self.settings.celery_broker_url)
        if identity is None:
            return
        previous, self._broker_id = self._broker_id, identity
        if previous is not None and previous != identity:
            count = self.replay()
            log.warning(
                "broker restarted (its queue is new): %s recent tasks published again", count
            )

    def _failed(self, exc: Exception) -> None:
        log.warning(
            "dispatcher: %s (%s); trying again in %.2fs",
            type(exc).__name__,
            str(exc).splitlines()[0][:200] if str(exc) else "",
            self._backoff,
        )
        self._close_listener()
        self.stop.wait(self._backoff)
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    def _wait(self, seconds: float) -> None:
        """Until a NOTIFY arrives (PostgreSQL), the poll interval passes, or we are stopped."""
        listener = self._listen()
        if listener is None:
            self.stop.wait(seconds)
            return
        try:
            # wake at least every half second to see `stop`
            deadline = time.monotonic() + seconds
            while not self.stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                # (psycopg reads timeout=0 as "no timeout": never pass it)
                for _ in listener.notifies(timeout=max(min(left, 0.5), 0.001), stop_after=1):
                    # a few milliseconds more gather the rows of the requests committing now
                    # into one batch: under load one claim and one commit serve many rows
                    self.stop.wait(COALESCE)
                    return
        except Exception:
            log.warning("dispatcher: the LISTEN connection failed; polling until it is back")
            self._close_listener()
            self.stop.wait(seconds)

    def _listen(self) -> Any:
        if self._listener is not None:
            return self._listener
        with self.app.app_context():
            url = db.engine.url
        if url.get_backend_name() != "postgresql":
            return None
        try:
            conn = psycopg.connect(
                url.set(drivername="postgresql").render_as_string(hide_password=False),
                autocommit=True,
                connect_timeout=5,
            )
            conn.execute(f"LISTEN {outbox.CHANNEL}")
        except Exception:
            log.warning("dispatcher: cannot LISTEN; polling", exc_info=False)
            return None
        self._listener = conn
        return conn

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):  # already broken
                self._listener.close()
            self._listener = None


def broker_identity(broker_url: str) -> str | None:
    """Redis's `run_id` (new at every start), or None when unknown (another broker, or down)."""
    if not broker_url.startswith(("redis://", "rediss://")):
        return None
    client = redis.Redis.from_url(broker_url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return str(client.info("server")["run_id"])
    except Exception:
        return None
    finally:
        client.close()


def run_in_thread(app: Flask, poll: float = 0.2) -> tuple[threading.Thread, threading.Event]:
    """A dispatcher in a daemon thread of this process (`pandawa dev`)."""
    stop = threading.Event()
    dispatcher = Dispatcher(app, stop=stop, poll=poll)
    thread = threading.Thread(target=dispatcher.run, name="pandawa-dispatcher", daemon=True)
    thread.start()
    return thread, stop


@click.command()
@with_appcontext
def dispatcher_command() -> None:
    """Publish the task outbox to Celery until stopped (SIGTERM or Ctrl-C)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    Dispatcher(app, stop=stop).run()
