"""Several machines as one (issue 18 item 2): the Procfile's processes on four hosts.

    .venv/bin/python bench/cluster.py                      # Redis as the broker
    .venv/bin/python bench/cluster.py --broker rabbitmq    # a RabbitMQ node as the broker

Four hosts are network namespaces (`ip netns`) joined by a bridge, each with its own address
and loopback, so nothing crosses between them but the network:

    web1 10.88.0.11: web, dispatcher        wrk1 10.88.0.21: worker, beat
    web2 10.88.0.12: web, dispatcher        wrk2 10.88.0.22: worker, beat

PostgreSQL, Redis (and RabbitMQ) of the bench's own and the fake Twilio listen on the bridge
(10.88.0.1); the shared 5432/6379 are never touched. Each process is the Procfile's line as
written, started in its host with `ip netns exec`. Settings as in production except
`PANDAWA_ENV=test`, for the one rehearsal clock file every host reads (the release at
Monday's opening; on real machines that is the system clock).

What it shows, one row each:

- release: deferred tickets seeded over a weekend, then the clock moves to Monday 08:00: with
  a beat on each worker host, every ticket is released once and its citizen told once;
- pacing: those notices go out through both worker hosts, and the busiest second at the fake
  Twilio holds `OUTBOUND_RATE_PER_SECOND` for the sum of all workers;
- claims: agents press "claim next" at once, half through web1, half through web2: no ticket
  is claimed twice, none is left;
- live: a supervisor's console streams events from web2 while the claims go through web1:
  every claim reaches her stream, and how late;
- host killed: citizens write through both webs (a load balancer's round robin; the provider
  delivers again after a failed delivery), and web1 and wrk1 are killed (`kill -9` of every
  process in the host) mid-load: every message stored, handled once, answered once.

See bench/README.md ("Cluster"). Everything started is stopped, and the namespaces removed.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from console import BehindTls
from faults_infra import (
    Delivery,
    OwnPostgres,
    OwnRabbitMQ,
    OwnRedis,
    Processes,
    Provider,
    procfile,
)
from release_setup import BEFORE_OPENING, OPENING, ClockFile, seed_tickets
from stack import BenchError

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.fakes.twilio import FakeTwilio  # noqa: E402  (the repository's fake, by path)

log = logging.getLogger("bench")

VENV_BIN = Path(sys.executable).parent
BRIDGE = "pwc-br0"
BRIDGE_IP = "10.88.0.1"
HOSTS = {
    "web1": ("10.88.0.11", ("web", "dispatcher")),
    "web2": ("10.88.0.12", ("web", "dispatcher")),
    "wrk1": ("10.88.0.21", ("worker", "beat")),
    "wrk2": ("10.88.0.22", ("worker", "beat")),
}
WEB_PORT = 5000
ACCOUNT_SID = "AC" + "c1u5" * 8
AUTH_TOKEN = "bench-cluster-token-0123456789abc"
PUBLIC_BASE_URL = "https://pandawa.cluster.invalid"  # only signed for, never called
INBOUND_PATH = "/webhooks/twilio/whatsapp"
OUR_NUMBER = "whatsapp:+6281180001500"  # the shipped catalogue's sender
PASSWORD = "cluster-bench-password-1"
QUIET = 5.0  # after everything settled, listen this long for late duplicates


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


# -- the hosts ----------------------------------------------------------------------------------


class Network:
    """A bridge in the root namespace and one namespace per host, joined by veth pairs."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def setup(self) -> None:
        self.teardown()  # a previous run killed half way
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{BRIDGE_IP}/24", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        for host, (address, _) in HOSTS.items():
            ns, veth = f"pwc-{host}", f"pwc-{host}"
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "link", "set", veth, "master", BRIDGE, "up")
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{address}/24", "dev", "eth0")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")

    def pids(self, host: str) -> list[int]:
        done = sh("ip", "netns", "pids", f"pwc-{host}", check=False)
        return [int(p) for p in done.stdout.split()]

    def kill(self, host: str) -> int:
        """`kill -9` of every process in the host, as a machine losing power."""
        pids = self.pids(host)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def teardown(self) -> None:
        for host in HOSTS:
            for pid in self.pids(host):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            sh("ip", "netns", "del", f"pwc-{host}", check=False)
            sh("ip", "link", "del", f"pwc-{host}", check=False)
        sh("ip", "link", "del", BRIDGE, check=False)


def host_commands(commands: dict[str, str], host: str) -> dict[str, str]:
    """The Procfile's lines the host runs, each as written, inside the host's namespaces."""
    # its own hostname too (a UTS namespace): Celery names a worker celery@<hostname>, and
    # RabbitMQ lets one connection at a time hold that name's exclusive control queue
    return {
        name: f"exec ip netns exec pwc-{host} unshare --uts bash -c "
        + shlex.quote(f"hostname {host} && exec bash -c {shlex.quote(commands[name])}")
        for name in HOSTS[host][1]
    }


def web_url(host: str) -> str:
    return f"http://{HOSTS[host][0]}:{WEB_PORT}"


# -- the provider's side: a round robin over the webs -------------------------------------------


class Balanced(Provider):
    """The provider's webhooks through a load balancer's round robin over the webs: a host that
    stopped answering fails that delivery, which the provider makes again later (to the next)."""

    def __init__(self, urls: list[str], *args, **kwargs) -> None:
        self._urls = itertools.cycle(urls)
        self._pick = threading.Lock()
        super().__init__(urls[0], *args, **kwargs)

    @property  # type: ignore[override]
    def url(self) -> str:
        with self._pick:
            return next(self._urls)

    @url.setter
    def url(self, value: str) -> None:  # Provider.__init__ sets it; the cycle decides
        pass


# -- the cluster --------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    result: str
    figures: dict = field(default_factory=dict)


class Cluster:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args, self.tmp = args, tmp
        self.net = Network()
        self.pg = OwnPostgres(tmp, BRIDGE_IP)
        self.redis = OwnRedis(tmp, BRIDGE_IP)
        self.broker = OwnRabbitMQ(tmp, BRIDGE_IP) if args.broker == "rabbitmq" else self.redis
        self.twilio = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, host=BRIDGE_IP)
        self.clock = ClockFile(tmp / "clock")
        self.commands = procfile(REPO / "Procfile")
        self.db = "cluster"
        self.procs: dict[str, Processes] = {}
        self.rows: list[Row] = []
        self.ticker: Ticker | None = None

    def env(self) -> dict:
        base = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TZ")}
        return base | {
            "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONPATH": str(REPO),
            "PANDAWA_ENV": "test",
            "PANDAWA_CLOCK": self.clock.setting,
            "SECRET_KEY": "cluster-bench-secret-key-0123456789abcdef",
            "DATABASE_URL": self.pg.url(self.db),
            "CELERY_BROKER_URL": self.broker.url,
            "REDIS_URL": self.redis.url,
            "WHATSAPP_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": self.twilio.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "PORT": str(WEB_PORT),
            "WEB_CONCURRENCY": "2",
            "WORKER_CONCURRENCY": str(self.args.worker_concurrency),
            "OUTBOUND_RATE_PER_SECOND": f"{self.args.rate:g}",
            "BOT_COALESCE_SECONDS": "0",
            "FLOOD_MAX_MESSAGES": "100000",
            "LOG_LEVEL": "INFO",
        }

    # -- set-up ------------------------------------------------------------------------------

    def setup(self) -> None:
        self.net.setup()
        self.pg.init()
        with (self.pg.data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {BRIDGE_IP}/24 trust\n")
        self.pg.start()
        self.redis.start()
        if self.broker is not self.redis:
            self.broker.start()
        self.twilio.start()
        self.clock.set(BEFORE_OPENING)
        self.pg.execute("postgres", f'CREATE DATABASE "{self.db}"')
        env = self.env()
        done = subprocess.run(
            ["bash", "-c", self.commands["release"]],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"release failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")

    def start_hosts(self) -> None:
        for host in HOSTS:
            logs = self.tmp / "logs" / host
            logs.mkdir(parents=True, exist_ok=True)
            # what a machine keeps on its own disk: instance folder (beat's schedule), metrics
            env = self.env() | {
                "PANDAWA_INSTANCE_PATH": str(self.tmp / "instance" / host),
                "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "metrics" / host),
            }
            procs = Processes(host_commands(self.commands, host), REPO, env, logs)
            procs.start_all()
            self.procs[host] = procs
        deadline = time.monotonic() + 90
        for host in ("web1", "web2"):
            while not self._healthy(host):
                if time.monotonic() > deadline:
                    raise BenchError(f"{host} never answered /healthz:\n{self._tail(host)}")
                time.sleep(0.3)
        for host in ("wrk1", "wrk2"):
            while "ready" not in self._log(host, "worker"):
                if time.monotonic() > deadline:
                    raise BenchError(f"{host}'s worker never got ready:\n{self._tail(host)}")
                time.sleep(0.3)

    def _healthy(self, host: str) -> bool:
        try:
            return requests.get(web_url(host) + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def _log(self, host: str, name: str) -> str:
        return "".join(
            p.read_text(errors="replace") for p in (self.tmp / "logs" / host).glob(f"{name}-*.log")
        )

    def _tail(self, host: str) -> str:
        return "\n".join(p.tail(15) for p in self.procs[host].running)

    def teardown(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()
        for procs in self.procs.values():
            with contextlib.suppress(Exception):
                procs.stop_all()
        self.net.teardown()
        with contextlib.suppress(Exception):
            self.twilio.stop()
        self.redis.stop()
        if self.broker is not self.redis:
            self.broker.stop()
        if self.pg.running():
            with contextlib.suppress(Exception):
                self.pg.stop("immediate")

    def rows_of(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.pg.execute(self.db, sql, params)

    # -- 1 and 2: the release at opening, paced across both worker hosts ----------------------

    def release_and_pacing(self) -> None:
        count = self.args.tickets
        seeded = seed_tickets(
            self.pg.url(self.db).replace("postgresql://", "postgresql+psycopg://", 1), count
        )
        log.info("seeded %s deferred tickets", count)
        start = len(self.twilio.messages)
        # from Monday 08:00 on the clock runs, as a real one does (the sweepers measure ages)
        self.ticker = Ticker(self.clock, OPENING)
        self.ticker.start()
        t0 = time.monotonic()
        wanted = set(seeded.addresses)
        deadline = t0 + self.args.timeout
        while time.monotonic() < deadline:
            got = {m.to for m in self.twilio.messages[start:]}
            if wanted <= got:
                break
            time.sleep(0.5)
        took = time.monotonic() - t0
        time.sleep(QUIET)
        sent = self.twilio.messages[start:]
        per_citizen = Counter(m.to for m in sent if m.to in wanted)
        released = self.rows_of(
            "SELECT count(*) FROM ticket WHERE status = 'waiting' AND released_at IS NOT NULL"
        )[0][0]
        told_once = sum(1 for a in wanted if per_citizen[a] == 1)
        twice = sum(1 for a in wanted if per_citizen[a] > 1)
        missing = sum(1 for a in wanted if per_citizen[a] == 0)
        beats = sum(1 for host in ("wrk1", "wrk2") if self.procs[host].of("beat"))
        self.rows.append(
            Row(
                "release once (a beat on each worker host)",
                "yes" if (told_once == count and released == count) else "NO",
                {
                    "deferred": count,
                    "released": released,
                    "told once": told_once,
                    "told twice": twice,
                    "not told": missing,
                    "beats": beats,
                    "seconds": round(took, 1),
                },
            )
        )
        arrivals = sorted(m.arrived for m in sent)
        busiest, window = 0, []
        for t in arrivals:  # the busiest sliding second
            window.append(t)
            while window and window[0] <= t - 1.0:
                window.pop(0)
            busiest = max(busiest, len(window))
        span = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
        by_host = {
            host: len(
                re.findall(r"channels\.send_message\[[^\]]+\] succeeded", self._log(host, "worker"))
            )
            for host in ("wrk1", "wrk2")
        }
        limit = self.args.rate
        self.rows.append(
            Row(
                "pacing: busiest second ≤ OUTBOUND_RATE_PER_SECOND for all workers together",
                "yes" if busiest <= limit + 1 else "NO",
                {
                    "limit /s": limit,
                    "busiest second": busiest,
                    "mean /s": round((len(arrivals) - 1) / span, 1) if span else None,
                    "sends wrk1": by_host["wrk1"],
                    "sends wrk2": by_host["wrk2"],
                },
            )
        )

    # -- 3 and 4: claims across both webs, live events across webs ----------------------------

    def agents(self, n: int) -> tuple[list[str], str]:
        """n agents in every queue with an API token each, and a supervisor's e-mail."""
        os.environ.update({k: v for k, v in self.env().items()})
        from pandawa.accounts.operations import create_token
        from pandawa.admin.operations import create_user
        from pandawa.app import create_app
        from pandawa.core.extensions import db
        from pandawa.tickets.models import Queue

        app = create_app()
        with app.app_context():
            codes = list(db.session.scalars(db.select(Queue.code).where(Queue.is_active)))
            tokens = []
            for i in range(n):
                user = create_user(
                    db.session, f"agent{i}@cluster.invalid", "agent", codes, PASSWORD
                )
                tokens.append(create_token(db.session, user, "cluster"))
            create_user(db.session, "supervisor@cluster.invalid", "supervisor", (), PASSWORD)
            db.session.commit()
            db.engine.dispose()
        return tokens, "supervisor@cluster.invalid"

    def claims_and_live(self) -> None:
        waiting = self.rows_of("SELECT count(*) FROM ticket WHERE status = 'waiting'")[0][0]
        tokens, supervisor = self.agents(self.args.agents)
        stream = LiveStream(web_url("web2"), supervisor)
        stream.start()
        claimed: list[tuple[str, str, float]] = []  # (number, web, answered at)
        errors: Counter = Counter()
        lock = threading.Lock()
        barrier = threading.Barrier(len(tokens))

        def agent(i: int, token: str) -> None:
            host = "web1" if i % 2 == 0 else "web2"
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {token}"
            barrier.wait()
            while True:
                try:
                    r = http.post(web_url(host) + "/api/v1/tickets/claim", timeout=30)
                except requests.RequestException as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
                    continue
                if r.status_code == 204:
                    return
                if r.status_code != 200:
                    with lock:
                        errors[str(r.status_code)] += 1
                    if r.status_code >= 500:
                        continue
                    return
                with lock:
                    claimed.append((r.json()["number"], host, time.monotonic()))

        t0 = time.monotonic()
        threads = [threading.Thread(target=agent, args=(i, t)) for i, t in enumerate(tokens)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - t0
        time.sleep(3)  # the last events reach the stream
        stream.stop()
        numbers = Counter(n for n, _, _ in claimed)
        twice = sum(1 for c in numbers.values() if c > 1)
        left = self.rows_of("SELECT count(*) FROM ticket WHERE status = 'waiting'")[0][0]
        assigned = self.rows_of("SELECT count(*) FROM ticket WHERE status = 'assigned'")[0][0]
        self.rows.append(
            Row(
                "claims once across both webs",
                "yes" if (twice == 0 and len(numbers) == waiting and left == 0) else "NO",
                {
                    "waiting": waiting,
                    "agents": len(tokens),
                    "claimed": len(claimed),
                    "claimed twice": twice,
                    "left waiting": left,
                    "assigned": assigned,
                    "via web1/web2": f"{sum(1 for c in claimed if c[1] == 'web1')}"
                    f"/{sum(1 for c in claimed if c[1] == 'web2')}",
                    "claims /s": round(len(claimed) / took, 1),
                    "errors": dict(errors) or 0,
                },
            )
        )
        via_web1 = {n: at for n, host, at in claimed if host == "web1"}
        late = sorted(stream.seen[n] - at for n, at in via_web1.items() if n in stream.seen)
        reached = sum(1 for n in via_web1 if n in stream.seen)
        self.rows.append(
            Row(
                "live: claims made on web1 reach a console streaming from web2",
                "yes" if via_web1 and reached == len(via_web1) else "NO",
                {
                    "claims on web1": len(via_web1),
                    "reached web2's stream": reached,
                    "p50 ms": round(1000 * late[len(late) // 2]) if late else None,
                    "max ms": round(1000 * late[-1]) if late else None,
                    "stream": stream.mode,
                },
            )
        )

    # -- 5: a web host and a worker host killed mid-load -------------------------------------

    def host_killed(self) -> None:
        provider = Balanced(
            [web_url(h) + INBOUND_PATH for h in ("web1", "web2")],
            PUBLIC_BASE_URL + INBOUND_PATH,
            AUTH_TOKEN,
            threads=8,
            timeout=5,
        )
        self.twilio.messages.clear()
        rnd = random.Random(18)
        citizens = [
            f"whatsapp:+62857{rnd.randrange(10**7, 10**8)}" for _ in range(self.args.citizens)
        ]
        per = self.args.messages
        deliveries: list[Delivery] = []
        plan = []
        t0 = time.monotonic()
        spread = self.args.load_seconds
        for c in citizens:
            for seq in range(per):
                sid = "SM" + "".join(rnd.choice("0123456789abcdef") for _ in range(32))
                form = {
                    "MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
                    "From": c, "To": OUR_NUMBER, "Body": "menu", "NumMedia": "0",
                    "ProfileName": "Warga", "WaId": c.removeprefix("whatsapp:+"),
                }  # fmt: skip
                d = Delivery(sid, c, seq, form)
                deliveries.append(d)
                plan.append((t0 + spread * (seq + rnd.random()) / per, d))
        plan.sort(key=lambda x: x[0])
        for at, d in plan:
            provider.send(d, at)
        kill_at = t0 + self.args.kill_after
        time.sleep(max(0.0, kill_at - time.monotonic()))
        killed = {host: self.net.kill(host) for host in ("web1", "wrk1")}
        log.info("killed %s", killed)
        killed_at = time.monotonic()
        sids = [d.sid for d in deliveries]
        deadline = killed_at + self.args.timeout
        settled_at = None
        while time.monotonic() < deadline:
            done = self.rows_of(
                "SELECT count(*) FROM message WHERE provider_message_id = ANY(%s) "
                "AND processed_at IS NOT NULL",
                (sids,),
            )[0][0]
            answered = Counter(m.to for m in self.twilio.messages)
            if done == len(sids) and all(answered[c] >= per for c in citizens):
                settled_at = time.monotonic()
                break
            time.sleep(0.5)
        time.sleep(QUIET)
        provider.stop()
        stored = self.rows_of(
            "SELECT count(*) FROM message WHERE provider_message_id = ANY(%s)", (sids,)
        )[0][0]
        processed = self.rows_of(
            "SELECT count(*) FROM message WHERE provider_message_id = ANY(%s) "
            "AND processed_at IS NOT NULL",
            (sids,),
        )[0][0]
        answered = Counter(m.to for m in self.twilio.messages)
        extra = sum(max(0, answered[c] - per) for c in citizens)
        short = sum(max(0, per - answered[c]) for c in citizens)
        retried = sum(1 for d in deliveries if d.attempts > 1)
        self.rows.append(
            Row(
                "host killed mid-load (web1 and wrk1, kill -9): nothing lost",
                "yes" if (stored == processed == len(sids) and extra == short == 0) else "NO",
                {
                    "sent": len(sids),
                    "stored": stored,
                    "handled": processed,
                    "replies missing": short,
                    "replies extra": extra,
                    "deliveries retried": retried,
                    "processes killed": sum(killed.values()),
                    "recovery s": round(settled_at - killed_at, 1) if settled_at else "not settled",
                },
            )
        )


class Ticker:
    """The rehearsal clock, running in real time from `start_at` (written every 0.2 s)."""

    def __init__(self, clock: ClockFile, start_at: datetime) -> None:
        self.clock, self.start_at = clock, start_at
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._t0 = time.monotonic()
        self.clock.set(self.start_at)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.clock.set(self.start_at + timedelta(seconds=time.monotonic() - self._t0))


class LiveStream:
    """A supervisor's console on one web, reading `/console/events` (server-sent events) in a
    thread; remembers when each ticket number first appeared in an event."""

    def __init__(self, base: str, email: str) -> None:
        self.base, self.email = base, email
        self.seen: dict[str, float] = {}
        self.mode = "?"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.http = BehindTls()  # the Secure session cookie over the bench's plain http

    def start(self) -> None:
        page = self.http.get(self.base + "/login", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if not token:
            raise BenchError("no csrf_token on /login")
        done = self.http.post(
            self.base + "/login",
            data={"csrf_token": token.group(1), "email": self.email, "password": PASSWORD},
            allow_redirects=False,
            timeout=10,
        )
        if done.status_code != 302:
            raise BenchError(f"the supervisor's sign-in failed: {done.status_code}")
        self._thread.start()
        time.sleep(1.5)  # the stream is open before the first claim

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            self.http.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.http.get(self.base + "/console/events", stream=True, timeout=30) as r:
                    self.mode = "stream" if r.status_code == 200 else f"HTTP {r.status_code}"
                    if r.status_code != 200:
                        return
                    for line in r.iter_lines(decode_unicode=True):
                        if self._stop.is_set():
                            return
                        if line and line.startswith("data:"):
                            at = time.monotonic()
                            for number in re.findall(r'"ticket":\s*"([^"]+)"', line):
                                self.seen.setdefault(number, at)
            except requests.RequestException:
                if self._stop.is_set():
                    return
                time.sleep(0.2)


def table(rows: list[Row]) -> str:
    lines = ["| what | holds | figures |", "|---|---|---|"]
    for r in rows:
        figures = ", ".join(f"{k} {v}" for k, v in r.figures.items())
        lines.append(f"| {r.what} | {r.result} | {figures} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--broker", choices=("redis", "rabbitmq"), default="redis")
    p.add_argument("--tickets", type=int, default=400, help="deferred tickets released (400)")
    p.add_argument("--rate", type=float, default=20, help="OUTBOUND_RATE_PER_SECOND (20)")
    p.add_argument("--agents", type=int, default=20, help="agents claiming at once (20)")
    p.add_argument("--citizens", type=int, default=40, help="citizens in the kill load (40)")
    p.add_argument("--messages", type=int, default=5, help="messages each (5)")
    p.add_argument("--load-seconds", type=float, default=10, help="the load's length (10)")
    p.add_argument("--kill-after", type=float, default=4, help="seconds into the load (4)")
    p.add_argument("--worker-concurrency", type=int, default=4, help="WORKER_CONCURRENCY (4)")
    p.add_argument("--timeout", type=float, default=300, help="wait this long to settle (300)")
    p.add_argument("--keep-logs", action="store_true", help="keep the temp dir")
    p.add_argument("--json", type=Path, help="also write the rows as JSON here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("cluster.py runs as root: network namespaces, initdb as postgres")
    tmp = Path(tempfile.mkdtemp(prefix="pandawa-cluster-"))
    os.chmod(tmp, 0o755)
    cluster = Cluster(args, tmp)
    started = datetime.now(UTC)
    try:
        cluster.setup()
        cluster.start_hosts()
        log.info("hosts up: %s", ", ".join(f"{h} {a}" for h, (a, _) in HOSTS.items()))
        for step in (cluster.release_and_pacing, cluster.claims_and_live, cluster.host_killed):
            try:
                step()
            except Exception as exc:  # one step's trouble is its row, the rest still run
                log.exception("%s failed", step.__name__)
                cluster.rows.append(Row(step.__name__, f"did not run: {str(exc).splitlines()[0]}"))
            log.info("%s\n%s", step.__name__, table(cluster.rows))
    finally:
        cluster.teardown()
        if args.keep_logs:
            log.info("logs kept in %s", tmp)
        else:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    hosts = "; ".join(f"{h} ({', '.join(r)})" for h, (_, r) in HOSTS.items())
    print(f"\nCluster, {started:%Y-%m-%d %H:%M} UTC, source {commit}, broker {args.broker}, "
          f"hosts: {hosts}\n")  # fmt: skip
    print(table(cluster.rows))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in cluster.rows], indent=2, default=str))
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "cluster"
    sys.exit(main())
