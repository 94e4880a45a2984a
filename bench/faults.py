"""Fault matrix (issue 15 item 3): the Procfile's real processes against faults, one row each.

    .venv/bin/python bench/faults.py                        # every scenario, full lengths
    .venv/bin/python bench/faults.py --quick                # shorter outages and storms
    .venv/bin/python bench/faults.py --scenario pg_down --scenario poison

Each scenario gets a fresh database (from a template made once by the Procfile's `release`
line), an empty Redis, and every long-running Procfile line started anew (`web`, `worker`,
`beat`, and `dispatcher` or any other line the Procfile gains), on a PostgreSQL cluster and a
redis-server of the bench's own (free ports; the shared 5432 and 6379 are never touched). Only
Twilio is faked: its REST API (tests/fakes/twilio.py, which can refuse sends for a while), and
its webhooks, signed as Twilio signs them and delivered again on 5xx/timeout. Citizens send
"menu" (one reply per message); counts come from the database and the fake's record.

See bench/README.md ("Fault matrix"). Everything started is stopped on the way out.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from faults_infra import (
    Delivery,
    OwnPostgres,
    OwnRabbitMQ,
    OwnRedis,
    Processes,
    Provider,
    descendants,
    pid_with_local_port,
    procfile,
)
from stack import BenchError, free_port

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.fakes.twilio import FakeTwilio  # noqa: E402  (the repository's fake, by path)

log = logging.getLogger("bench")

VENV_BIN = Path(sys.executable).parent
SOURCE_PATHS = (
    "pandawa",
    "migrations",
    "Procfile",
    "gunicorn.conf.py",
    "pyproject.toml",
    "scripts",
)
ACCOUNT_SID = "AC" + "fa17" * 8  # 32 hex digits, as Twilio's
AUTH_TOKEN = "bench-faults-token-0123456789abc"
PUBLIC_BASE_URL = "https://pandawa.faults.invalid"  # only signed for, never called
INBOUND_PATH = "/webhooks/twilio/whatsapp"
OUR_NUMBER = "whatsapp:+6281180001500"  # the shipped catalogue's sender
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64  # 16 KiB that sniff as PNG
QUIET = 5.0  # after everything is handled, listen this long for late duplicates
TEMPLATE = "faults_template"


# -- the fake provider's REST API: refusals for a period -------------------------------------


class StormTwilio(FakeTwilio):
    """The repository's fake, plus periods during which every send is refused: 429 with a
    Retry-After header, or 5xx (500 and 503 in turn)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.storms: list[tuple[float, float, str, str | None]] = []
        self.refused = 0

    def start(self) -> None:
        super().start()
        # a send whose caller was killed mid-call (worker_kill9) cannot be answered: expected
        self._server.handle_error = lambda request, client_address: None

    def _create(self, form, arrived=0.0, media_urls=None):
        now = time.monotonic()
        for start, end, kind, retry_after in self.storms:
            if start <= now < end:
                with self._lock:
                    self.refused += 1
                    odd = self.refused % 2
                if kind == "429":
                    return (
                        429,
                        _twilio_error(429, 20429, "Too Many Requests"),
                        ({"Retry-After": retry_after} if retry_after else {}),
                    )
                status = 500 if odd else 503
                return status, _twilio_error(status, 20000 + status, "Service unavailable"), {}
        return super()._create(form, arrived, media_urls)


def _twilio_error(status: int, code: int, message: str) -> dict:
    return {"code": code, "message": message, "more_info": "", "status": status}


# -- a scenario's world ------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    sent: int = 0
    stored: int = 0
    handled_once: int = 0
    duplicates: int = 0
    lost: int = 0
    parked: int = 0
    order_vs_sent: int = 0
    order_vs_arrival: int = 0
    recovery: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Sent:
    sid: str
    citizen: str
    seq: int
    poison: bool = False


class World:
    """One scenario: its database, processes, fake Twilio and provider; what was sent."""

    def __init__(self, bench: Bench, name: str, extra_env: dict | None = None) -> None:
        self.bench, self.name = bench, name
        self.db = f"faults_{name}"
        pg = bench.pg
        pg.execute("postgres", f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        pg.execute("postgres", f'CREATE DATABASE "{self.db}" TEMPLATE "{TEMPLATE}"')
        bench.redis.flush()
        if bench.broker is not bench.redis:
            bench.broker.flush()
        bench.twilio.reset()
        bench.twilio.storms.clear()
        self.logs = bench.tmp / "logs" / name
        self.logs.mkdir(parents=True)
        self.port = free_port()
        self.env = bench.env(self.db, self.port, name) | (extra_env or {})
        self.procs = Processes(bench.commands, bench.source, self.env, self.logs)
        self.provider = Provider(
            f"http://127.0.0.1:{self.port}{INBOUND_PATH}",
            PUBLIC_BASE_URL + INBOUND_PATH,
            AUTH_TOKEN,
        )
        self.sent: list[Sent] = []
        self._seq: dict[str, int] = defaultdict(int)
        self.media_sent = 0  # media items sent: each must end `stored`
        self._numbers = iter(range(1, 10**6))
        self.warmup_citizen = self.citizen()

    # addresses and messages
    def citizen(self) -> str:
        return f"whatsapp:+628139{next(self._numbers):06d}"

    def message(
        self, citizen: str, seq: int | None = None, *, media: bool = False, poison: bool = False
    ) -> Delivery:
        """The citizen's next message (`seq`: its place in the citizen's send order)."""
        if seq is None:
            seq = self._seq[citizen]
        self._seq[citizen] = max(self._seq[citizen], seq + 1)
        sid = "SM" + os.urandom(16).hex()
        form = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": citizen,
            "To": OUR_NUMBER,
            "Body": "menu",
            "NumMedia": "0",
            "ProfileName": "Warga Uji",
            "WaId": citizen.removeprefix("whatsapp:+"),
            "MessageType": "text",
            "SmsStatus": "received",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }
        if media:
            self.media_sent += citizen != self.warmup_citizen
            url = self.bench.twilio.add_media(PNG, "image/png", message_sid=sid)
            form |= {
                "NumMedia": "1",
                "MediaUrl0": url,
                "MediaContentType0": "image/png",
                "MessageType": "image",
            }
        if citizen != self.warmup_citizen:
            self.sent.append(Sent(sid, citizen, seq, poison))
        return Delivery(sid, citizen, seq, form)

    def stream(
        self,
        citizens: list[str],
        per_citizen: int,
        seconds: float,
        during: Callable[[float], None] | None = None,
        **kwargs,
    ) -> None:
        """Each citizen sends `per_citizen` messages, round robin, spread over `seconds`;
        `during(elapsed)` is called between sends (to start a fault on time)."""
        total = len(citizens) * per_citizen
        gap = seconds / max(total, 1)
        start = time.monotonic()
        k = 0
        for _round in range(per_citizen):
            for c in citizens:
                due = start + k * gap
                while time.monotonic() < due:
                    if during:
                        during(time.monotonic() - start)
                    time.sleep(min(0.02, max(due - time.monotonic(), 0)))
                self.provider.send(self.message(c, **kwargs))
                k += 1
        if during:
            during(time.monotonic() - start)

    # the stack
    def start(self) -> None:
        self.procs.start_all()
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        """/healthz answers and one message goes through the whole chain (a reply arrives)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).ok:
                    break
            time.sleep(0.3)
        else:
            raise BenchError(f"{self.name}: web not healthy in {timeout}s")
        self.provider.send(self.message(self.warmup_citizen, 0))
        while time.monotonic() < deadline:
            self._check_alive()
            if self.bench.twilio.sent_to(self.warmup_citizen):
                return
            time.sleep(0.3)
        tails = "\n".join(f"--- {p.log.name}\n{p.tail()}" for p in self.procs.running)
        raise BenchError(f"{self.name}: the warm-up message got no reply in {timeout}s\n{tails}")

    def _check_alive(self) -> None:
        if gone := self.procs.exited():
            tails = "\n".join(f"--- {p.log.name}\n{p.tail()}" for p in gone)
            raise BenchError(f"{self.name}: a Procfile process exited at start\n{tails}")

    def stop(self) -> None:
        self.provider.stop()
        self.procs.stop_all()

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        return self.bench.pg.execute(self.db, query, params)

    # measuring
    def expected_parked(self) -> set[str]:
        return {s.sid for s in self.sent if s.poison}

    def settled(self) -> bool:
        """Every message sent is stored and processed (or parked when it is the poison), and
        each citizen has as many replies as handled messages."""
        if not self.provider.idle():
            return False
        sids = [s.sid for s in self.sent]
        rows = self.sql(
            "SELECT status, processed_at IS NOT NULL FROM message "
            "WHERE direction = 'in' AND provider_message_id = ANY(%s)",
            (sids,),
        )
        if len(rows) < len(sids) or not all(done for _, done in rows):
            return False
        handled: dict[str, int] = defaultdict(int)
        for (citizen,) in self.sql(
            "SELECT sender FROM message WHERE direction = 'in' AND status = 'processed' "
            "AND provider_message_id = ANY(%s)",
            (sids,),
        ):
            handled[citizen] += 1
        replies = self.replies()
        if not all(replies.get(c, 0) >= n for c, n in handled.items()):
            return False
        return not self.media_sent or self.media_counts() == {"stored": self.media_sent}

    def media_counts(self) -> dict[str, int]:
        rows = self.sql(
            "SELECT coalesce(item->>'status', 'pending'), count(*) "
            "FROM message, jsonb_array_elements(media) item "
            "WHERE direction = 'in' AND provider_message_id = ANY(%s) GROUP BY 1",
            ([s.sid for s in self.sent],),
        )
        return dict(rows)

    def replies(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for m in list(self.bench.twilio.messages):
            counts[m.to] += 1
        return counts

    def wait_settled(self, since: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.settled():
                    return time.monotonic() - since
            except Exception as exc:  # the database may still be coming back
                log.debug("not settled yet: %s", exc)
            time.sleep(0.5)
        return None

    def row(self, recovery: float | None) -> Row:
        row = Row(self.name, sent=len(self.sent), recovery=recovery)
        sids = [s.sid for s in self.sent]
        by_sid = {s.sid: s for s in self.sent}
        rows = self.sql(
            # the rank in the order the product recorded at arrival: its send time (arrival
            # time when the provider tells none, as Twilio), then the row id
            "SELECT provider_message_id, sender, status, processed_at, "
            "rank() OVER (ORDER BY provider_sent_at, id) FROM message "
            "WHERE direction = 'in' AND provider_message_id = ANY(%s) ORDER BY id",
            (sids,),
        )
        stored_sids = [r[0] for r in rows]
        row.stored = len(set(stored_sids))
        stored_twice = len(stored_sids) - row.stored
        handled: dict[str, list[tuple]] = defaultdict(list)
        for sid, sender, status, processed_at, mid in rows:
            if status == "dead":
                row.parked += 1
                if sid not in self.expected_parked():
                    row.notes.append(f"parked unexpectedly: {sid}")
            elif status == "processed" and processed_at is not None:
                handled[sender].append((processed_at, by_sid[sid].seq, mid))
        replies = self.replies()
        per_citizen = defaultdict(int)
        for s in self.sent:
            per_citizen[s.citizen] += 1
        dups = stored_twice
        once = 0
        missing_replies = 0
        for citizen in per_citizen:
            done = handled.get(citizen, [])
            got = replies.get(citizen, 0)
            dups += max(0, got - len(done))
            missing_replies += max(0, len(done) - got)
            once += min(len(done), got)
            in_handled_order = sorted(done)
            row.order_vs_sent += _late(x[1] for x in in_handled_order)
            row.order_vs_arrival += _late(x[2] for x in in_handled_order)
        row.handled_once = once
        row.duplicates = dups
        row.lost = row.sent - once - row.parked
        if missing_replies:
            row.notes.append(f"{missing_replies} handled without a reply")
        refused = [d for d in self.provider.deliveries.values() if d.accepted_at is None]
        if refused:
            row.notes.append(f"{len(refused)} webhooks never accepted")
        statuses = defaultdict(int)
        for d in self.provider.deliveries.values():
            for st in d.statuses:
                if not st.startswith("2"):
                    statuses[st] += 1
        if statuses:
            row.notes.append(
                "provider retried: " + ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items()))
            )
        return row


def _late(seq) -> int:
    """How many items come after a larger one (handled after a later-sent message)."""
    top, late = None, 0
    for x in seq:
        if top is not None and x < top:
            late += 1
        top = x if top is None else max(top, x)
    return late


# -- the bench --------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args, self.tmp = args, tmp
        self.commit = "worktree" if args.source == "worktree" else commit_of(args.source)
        self.source = product_source(self.commit, tmp)
        self.commands = procfile(self.source / "Procfile")
        self.pg = OwnPostgres(tmp)
        self.redis = OwnRedis(tmp)
        # the Celery broker: the same Redis (the Procfile's default) or a RabbitMQ node
        self.broker = OwnRabbitMQ(tmp) if args.broker == "rabbitmq" else self.redis
        self.twilio = StormTwilio(ACCOUNT_SID, AUTH_TOKEN)

    def env(self, database: str, port: int, name: str) -> dict:
        base = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TZ")}
        return base | {
            "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": str(self.source),
            "PANDAWA_ENV": "production",
            "SECRET_KEY": "faults-bench-secret-key-0123456789abcdef",
            "DATABASE_URL": self.pg.url(database),
            "CELERY_BROKER_URL": self.broker.url,
            "REDIS_URL": self.redis.url,
            "WHATSAPP_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": self.twilio.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "METRICS_TOKEN": "faults-bench-metrics-token",
            "PORT": str(port),
            "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "metrics" / name),
            "PANDAWA_INSTANCE_PATH": str(self.tmp / "instance" / name),
            "WEB_CONCURRENCY": "2",
            "WORKER_CONCURRENCY": str(self.args.worker_concurrency),
            # the bench measures loss and duplicates, not flood control: citizens here send
            # faster than a person would
            "FLOOD_MAX_MESSAGES": "100000",
            # ... and one reply per message is what is counted: no bursts read as one
            "BOT_COALESCE_SECONDS": "0",
            "LOG_LEVEL": "INFO",
        }

    def setup(self) -> None:
        self.pg.init()
        self.pg.start()
        self.redis.start()
        if self.broker is not self.redis:
            self.broker.start()
        self.twilio.start()
        self.pg.execute("postgres", f'CREATE DATABASE "{TEMPLATE}"')
        env = self.env(TEMPLATE, free_port(), "release")
        done = subprocess.run(
            ["bash", "-c", self.commands["release"]],
            cwd=self.source,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"release failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")

    def teardown(self) -> None:
        with contextlib.suppress(Exception):
            self.twilio.stop()
        self.redis.stop()
        if self.broker is not self.redis:
            self.broker.stop()
        if self.pg.running():
            with contextlib.suppress(Exception):
                self.pg.stop("immediate")


def commit_of(rev: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"not a git revision: {rev}")
    return done.stdout.strip()


def product_source(rev: str, tmp: Path) -> Path:
    """The product as committed at `rev` (git archive into the temp dir: the checkout is shared
    and may be mid-edit), or the working tree itself for `worktree`."""
    if rev == "worktree":
        return REPO
    source = tmp / "src"
    rev = commit_of(rev)  # the commit exported, named in the table (HEAD may move meanwhile)
    done = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, *SOURCE_PATHS],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"git archive {rev} failed: {done.stderr.decode()[-500:]}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(source, filter="data")
    return source


# -- scenarios --------------------------------------------------------------------------------


def sc_worker_kill9(w: World, a: argparse.Namespace) -> float:
    """kill -9 of the whole `worker` process group while sends are in flight; a supervisor
    starts it again 2 s later."""
    w.bench.twilio.delay_responses(0.3)  # sends take a while: some are mid-call at the kill
    citizens = [w.citizen() for _ in range(20)]
    killed: dict[str, float] = {}

    def during(t: float) -> None:
        if t > 3 and "at" not in killed:
            for p in w.procs.of("worker"):
                p.signal_group(signal.SIGKILL)
            killed["at"] = time.monotonic()

    w.stream(citizens, 5, 6, during)
    time.sleep(max(0, killed["at"] + 2 - time.monotonic()))
    w.procs.start("worker")
    end = time.monotonic()
    w.bench.twilio.delay_responses(0.0)
    return end


def _restart_while_worker_down(w: World, server: OwnRedis | OwnRabbitMQ) -> float:
    """The worker is stopped, messages queue up in the broker, `server` stops and starts again
    while webhooks keep coming, then the worker starts again."""
    for p in w.procs.of("worker"):
        p.stop()
    citizens = [w.citizen() for _ in range(20)]
    w.stream(citizens, 2, 3)
    time.sleep(1)
    server.stop()
    w.stream(citizens[:10], 1, 1)  # during the outage
    server.start()
    w.stream(citizens[10:], 1, 1)
    w.procs.start("worker")
    return time.monotonic()


def sc_redis_restart(w: World, a: argparse.Namespace) -> float:
    """Redis restarts empty (no persistence) while the worker is down: with the Redis broker
    the queued tasks are gone (the dispatcher publishes the recent rows again)."""
    return _restart_while_worker_down(w, w.bench.redis)


def sc_broker_restart(w: World, a: argparse.Namespace) -> float:
    """The Celery broker (`--broker`: Redis, or a RabbitMQ node) restarts while the worker is
    down. Redis comes back empty; RabbitMQ comes back with what it had confirmed (durable
    queue, persistent messages, publisher confirms)."""
    return _restart_while_worker_down(w, w.bench.broker)


def sc_pg_down(w: World, a: argparse.Namespace) -> float:
    """PostgreSQL stopped for --pg-outage seconds under steady traffic; the webhook answers
    503 and the provider delivers again."""
    citizens = [w.citizen() for _ in range(20)]
    state: dict[str, float] = {}
    outage = a.pg_outage

    def during(t: float) -> None:
        if t > 3 and "down" not in state:
            w.bench.pg.stop("fast")
            state["down"] = time.monotonic()
        if "down" in state and "up" not in state and time.monotonic() - state["down"] >= outage:
            w.bench.pg.start()
            state["up"] = time.monotonic()

    per = max(3, int((outage + 8) / 2))
    w.stream(citizens, per, outage + 8, during)
    while "up" not in state:
        during(1e9)
        time.sleep(0.2)
    return state["up"]


def sc_dup_out_of_order(w: World, a: argparse.Namespace) -> float:
    """Each citizen's 5 messages delivered in a shuffled order, each 3 times (twice at once,
    once a second later)."""
    rnd = random.Random(15)
    citizens = [w.citizen() for _ in range(10)]
    plan = []
    for c in citizens:
        msgs = [w.message(c, seq) for seq in range(5)]
        rnd.shuffle(msgs)
        plan.append(msgs)
    now = time.monotonic()
    for i, msgs in enumerate(plan):
        for k, d in enumerate(msgs):
            at = now + 0.05 * i + 0.4 * k
            w.provider.send(d, at)
            w.provider.send(d, at)
            w.provider.send(d, at + 1.0)
    end = now + 0.05 * len(plan) + 0.4 * 5 + 1.0
    time.sleep(max(0, end - time.monotonic()))
    return end


def _slow_trigger(w: World, table_event: str, sid: str, when: str, seconds: float) -> None:
    w.sql(
        "CREATE OR REPLACE FUNCTION bench_slow() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$"
    )
    w.sql(
        f"CREATE TRIGGER bench_slow BEFORE {table_event} ON message FOR EACH ROW "
        f"WHEN (NEW.provider_message_id = '{sid}' {when}) EXECUTE FUNCTION bench_slow()"
    )


def _sleeping_client(w: World, candidates: Callable[[], list[int]], timeout: float = 20) -> int:
    """The pid (among candidates) whose PostgreSQL backend sleeps in the bench's trigger."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = w.sql(
            "SELECT client_port FROM pg_stat_activity WHERE datname = %s "
            "AND wait_event = 'PgSleep'",
            (w.db,),
        )
        for (port,) in rows:
            pid = pid_with_local_port(port, candidates())
            if pid:
                return pid
        time.sleep(0.05)
    raise BenchError(f"{w.name}: no process found sleeping in the trigger")


def sc_lock_holder_killed(w: World, a: argparse.Namespace) -> float:
    """A worker process holding a conversation's lock (mid-turn: the bench's trigger makes
    marking one message processed take 4 s) is killed -9; the citizen's next messages arrive
    meanwhile."""
    citizens = [w.citizen() for _ in range(5)]
    slow = w.message(citizens[0], 0)
    _slow_trigger(w, "UPDATE", slow.sid, "AND NEW.status = 'processed'", 4)
    w.provider.send(slow)

    def pool() -> list[int]:
        return [d for p in w.procs.of("worker") for d in descendants(p.pid)]

    pid = _sleeping_client(w, pool)
    for seq in range(1, 4):  # while the lock is held
        w.provider.send(w.message(citizens[0], seq))
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    end = time.monotonic()
    w.stream(citizens[1:], 4, 3)
    for seq in range(4, 6):
        w.provider.send(w.message(citizens[0], seq))
        time.sleep(0.2)
    return end


def sc_two_beats(w: World, a: argparse.Namespace) -> float:
    """A second `beat` started by mistake runs beside the first under traffic."""
    extra = w.procs.start("beat")
    citizens = [w.citizen() for _ in range(20)]
    w.stream(citizens, 4, a.two_beats)
    extra.stop()
    return time.monotonic()


def sc_poison(w: World, a: argparse.Namespace) -> float:
    """A message whose processing fails every time (the bench's trigger refuses to mark it
    processed), then the same citizen's next messages, and other citizens'. Recovery counts
    from the poison's delivery: the fault never ends by itself."""
    citizens = [w.citizen() for _ in range(5)]
    poison = w.message(citizens[0], 0, poison=True)
    w.sql(
        "CREATE OR REPLACE FUNCTION bench_poison() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'bench poison message'; END $$"
    )
    w.sql(
        "CREATE TRIGGER bench_poison BEFORE UPDATE ON message FOR EACH ROW "
        f"WHEN (NEW.provider_message_id = '{poison.sid}' AND NEW.status = 'processed') "
        "EXECUTE FUNCTION bench_poison()"
    )
    w.provider.send(poison)
    start = time.monotonic()
    time.sleep(0.5)
    for seq in range(1, 5):
        for c in citizens:
            w.provider.send(w.message(c, seq))
        time.sleep(0.3)
    return start


def sc_provider_storm(w: World, a: argparse.Namespace) -> float:
    """The provider refuses every send for --storm seconds: first half 429 with
    Retry-After: 10, second half 500/503; citizens keep writing."""
    now = time.monotonic()
    half = a.storm / 2
    w.bench.twilio.storms[:] = [
        (now, now + half, "429", "10"),
        (now + half, now + a.storm, "5xx", None),
    ]
    citizens = [w.citizen() for _ in range(20)]
    w.stream(citizens, max(2, int(a.storm / 15)), a.storm * 0.9)
    time.sleep(max(0, now + a.storm - time.monotonic()))
    return now + a.storm


def sc_web_kill9(w: World, a: argparse.Namespace) -> float:
    """kill -9 of the gunicorn worker serving a webhook (held 4 s in its INSERT by the bench's
    trigger) while other webhooks flow; gunicorn starts a new worker."""
    citizens = [w.citizen() for _ in range(10)]
    slow = w.message(citizens[0], 0)
    _slow_trigger(w, "INSERT", slow.sid, "", 4)
    w.provider.send(slow)

    def web_workers() -> list[int]:
        return [d for p in w.procs.of("web") for d in descendants(p.pid)]

    pid = _sleeping_client(w, web_workers)
    done = {}

    def during(t: float) -> None:
        if t > 0.5 and "at" not in done:
            os.kill(pid, signal.SIGKILL)
            done["at"] = time.monotonic()

    w.stream(citizens[1:], 4, 2, during)
    w.sql("DROP TRIGGER bench_slow ON message")  # the provider's retry lands at once
    for seq in range(1, 4):
        w.provider.send(w.message(citizens[0], seq))
    return done["at"]


def sc_media_disk_full(w: World, a: argparse.Namespace) -> float:
    """MEDIA_STORAGE_DIR on a 256 KiB tmpfs filled to the last byte; citizens send images;
    after --disk-full seconds the filler is deleted."""
    mount = Path(w.env["MEDIA_STORAGE_DIR"])
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(fd)
    citizens = [w.citizen() for _ in range(10)]
    w.stream(citizens, 3, 6, media=True)
    time.sleep(max(0, a.disk_full - 6))
    filler.unlink()
    return time.monotonic()


class BehindTls(requests.Session):
    """Sends the Secure session cookie over plain http, as the TLS proxy would."""

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def admin_sees_parked(w: World) -> str:
    """An admin created with `pandawa users create` signs in and finds each parked message's
    row id on /admin/dead-letters."""
    email, password = "admin@faults.invalid", "faults-bench-password-2026"
    subprocess.run(
        [
            str(VENV_BIN / "pandawa"),
            "users",
            "create",
            email,
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=password + "\n",
        cwd=w.bench.source,
        env=w.env,
        capture_output=True,
        text=True,
        check=True,
    )
    base = f"http://127.0.0.1:{w.port}"
    s = BehindTls()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login", timeout=10).text)
    if token is None:
        return "admin page: no sign-in form"
    s.post(
        f"{base}/login",
        data={"csrf_token": token.group(1), "email": email, "password": password},
        timeout=10,
    )
    page = s.get(f"{base}/admin/dead-letters", timeout=10)
    ids = [
        i for (i,) in w.sql(
            "SELECT id FROM message WHERE status = 'dead' AND provider_message_id = ANY(%s)",
            (list(w.expected_parked()),),
        )
    ]  # fmt: skip
    shown = [i for i in ids if f'data-message="{i}"' in page.text]
    return f"/admin/dead-letters ({page.status_code}) lists {len(shown)} of {len(ids)} parked"


SCENARIOS: dict[str, Callable[[World, argparse.Namespace], float]] = {
    "worker_kill9": sc_worker_kill9,
    "redis_restart": sc_redis_restart,
    "broker_restart": sc_broker_restart,
    "pg_down": sc_pg_down,
    "dup_out_of_order": sc_dup_out_of_order,
    "lock_holder_killed": sc_lock_holder_killed,
    "two_beats": sc_two_beats,
    "poison": sc_poison,
    "provider_storm": sc_provider_storm,
    "web_kill9": sc_web_kill9,
    "media_disk_full": sc_media_disk_full,
}


def run_scenario(bench: Bench, name: str) -> Row:
    args = bench.args
    extra: dict[str, str] = {}
    mount: Path | None = None
    if name == "media_disk_full":
        mount = bench.tmp / "media-tmpfs"
        mount.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
        extra["MEDIA_STORAGE_DIR"] = str(mount)
    w = World(bench, name, extra)
    try:
        w.start()
        log.info("%s: running", name)
        fault_end = SCENARIOS[name](w, args)
        recovery = w.wait_settled(fault_end, args.timeout)
        time.sleep(QUIET)
        row = w.row(recovery)
        if w.media_sent:
            counts = w.media_counts()
            row.notes.append(
                f"media items: {w.media_sent} sent, "
                + ", ".join(f"{k}×{v}" for k, v in sorted(counts.items()))
                + " (recovery waits for every item `stored`)"
            )
        if name == "poison":
            row.notes.append(admin_sees_parked(w))
        if name == "provider_storm":
            row.notes.append(f"sends refused by the fake: {bench.twilio.refused}")
        crashed = [p for p in w.procs.exited() if p.proc.returncode not in (0, -9, -15)]
        for p in crashed:
            row.notes.append(f"{p.name} exited {p.proc.returncode}")
        return row
    finally:
        w.stop()
        bench.twilio.delay_responses(0.0)
        if not bench.pg.running():
            bench.pg.start()
        if not bench.redis.ping():
            bench.redis.start()
        if bench.broker is not bench.redis and not bench.broker.ping():
            bench.broker.start()
        if mount is not None:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        if not args.keep_logs:
            with contextlib.suppress(Exception):
                bench.pg.execute("postgres", f'DROP DATABASE IF EXISTS "{w.db}" WITH (FORCE)')


# -- output -----------------------------------------------------------------------------------

HEADER = (
    "scenario",
    "sent",
    "stored",
    "handled once",
    "dupl.",
    "lost",
    "parked",
    "order≠sent",
    "order≠arrival",
    "recovery s",
)


def table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    for r in rows:
        recovery = f"{r.recovery:.1f}" if r.recovery is not None else "not settled"
        cells = (
            r.scenario, r.sent, r.stored, r.handled_once, r.duplicates, r.lost, r.parked,
            r.order_vs_sent, r.order_vs_arrival, recovery,
        )  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    notes = [f"- {r.scenario}: {'; '.join(r.notes)}" for r in rows if r.notes]
    return "\n".join(lines + (["", *notes] if notes else []))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="run only this scenario (repeatable; default: all, in the table's order)",
    )
    p.add_argument("--quick", action="store_true", help="shorter outages and storms")
    p.add_argument(
        "--broker",
        choices=("redis", "rabbitmq"),
        default="redis",
        help="Celery's broker: the bench's Redis (default) or a RabbitMQ node of its own",
    )
    p.add_argument("--source", default="HEAD", help="git REV to export, or `worktree` (HEAD)")
    p.add_argument("--pg-outage", type=float, help="seconds PostgreSQL stays down (30; quick 10)")
    p.add_argument("--storm", type=float, help="seconds of provider 429/5xx (120; quick 20)")
    p.add_argument("--two-beats", type=float, help="seconds with two beats (30; quick 10)")
    p.add_argument("--disk-full", type=float, help="seconds the media disk is full (20; quick 8)")
    p.add_argument(
        "--timeout", type=float, default=300, help="wait this long after a fault to settle (300)"
    )
    p.add_argument("--worker-concurrency", type=int, default=4, help="WORKER_CONCURRENCY (4)")
    p.add_argument("--keep-logs", action="store_true", help="keep the temp dir and databases")
    p.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = p.parse_args(argv)
    defaults = {
        "pg_outage": (30, 10),
        "storm": (120, 20),
        "two_beats": (30, 10),
        "disk_full": (20, 8),
    }
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    args.scenario = args.scenario or list(SCENARIOS)
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("faults.py runs as root: initdb as the postgres user, a tmpfs mount")
    tmp = Path(tempfile.mkdtemp(prefix="pandawa-faults-"))
    os.chmod(tmp, 0o755)
    bench = Bench(args, tmp)
    rows: list[Row] = []
    started = datetime.now(UTC)
    try:
        bench.setup()
        log.info("own PostgreSQL :%s, own Redis :%s, broker %s", bench.pg.port, bench.redis.port,
                 args.broker)  # fmt: skip
        for name in args.scenario:
            try:
                rows.append(run_scenario(bench, name))
            except Exception as exc:  # one scenario's trouble is its row, the rest still run
                log.error("%s failed to run: %s", name, exc)
                rows.append(Row(name, notes=[f"did not run: {str(exc).splitlines()[0]}"]))
            log.info("%s done\n%s", name, table(rows[-1:]))
    finally:
        bench.teardown()
        if args.keep_logs:
            log.info("logs kept in %s", tmp)
        else:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    rev = bench.commit
    print(f"\nFault matrix, {started:%Y-%m-%d %H:%M} UTC, source {rev}, "
          f"broker {args.broker}, "
          f"Procfile: {', '.join(bench.commands)}{' (quick)' if args.quick else ''}\n")  # fmt: skip
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "faults"
    sys.exit(main())
