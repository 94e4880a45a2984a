"""What the fault bench runs on, all of it its own: a PostgreSQL cluster (initdb as the
postgres user, a free port, a socket dir in the temp dir), a redis-server without persistence,
the Procfile's processes as written (`bash -c LINE`, each in a session of its own, so a kill
reaches its whole group), a fake Twilio that can refuse sends for a while (429 with
Retry-After, 5xx), and the provider's side of the webhooks: signed as Twilio signs them and
delivered again later when the answer is 5xx, a timeout or a dropped connection.

The shared PostgreSQL (5432) and Redis (6379) are never touched: every address here is a
free port on 127.0.0.1 found at start.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import requests
from stack import BenchError, free_port
from twilio.request_validator import RequestValidator

log = logging.getLogger("bench")

PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))


# -- PostgreSQL: a cluster of our own --------------------------------------------------------


class OwnPostgres:
    """initdb in `root/pg` as the postgres user; started, stopped and restarted by us only."""

    def __init__(self, root: Path, host: str = "127.0.0.1") -> None:
        self.root = root / "pg"
        self.data = self.root / "data"
        self.host = host  # the address it listens on (bench/cluster.py: the hosts' bridge)
        self.port = free_port()
        self.logfile = self.root / "server.log"

    def _as_postgres(self, *cmd: str, timeout: float = 120) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *cmd],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise BenchError(f"{' '.join(cmd)} failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")

    def init(self) -> None:
        self.root.mkdir(parents=True)
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses={self.host} "
            "-c max_connections=300 -c fsync=off -c synchronous_commit=off"
        )
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.logfile),
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def execute(self, database: str, sql: str, params: tuple = ()) -> list[tuple]:
        with self.connect(database) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []


# -- Redis: a server of our own, no persistence ----------------------------------------------


class OwnRedis:
    def __init__(self, root: Path, host: str = "127.0.0.1") -> None:
        self.dir = root / "redis"
        self.dir.mkdir()
        self.host = host
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> None:
        cmd = [
            "redis-server", "--port", str(self.port), "--bind", self.host, "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--dir", str(self.dir),
        ]  # fmt: skip
        if self.host != "127.0.0.1":  # reached from other hosts, on the bench's own bridge
            cmd += ["--protected-mode", "no"]
        with (self.dir / "redis.log").open("a") as handle:
            self.proc = subprocess.Popen(
                cmd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.1)
        raise BenchError("our redis-server did not answer PING")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class OwnRabbitMQ:
    """A RabbitMQ node of the bench's own (Debian's rabbitmq-server on free ports, its own data
    folder, kept across `stop()`/`start()` as a real broker's disk is)."""

    SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"

    def __init__(self, root: Path, host: str = "127.0.0.1") -> None:
        self.dir = root / "rabbitmq"
        self.dir.mkdir()
        self.host = host
        self.port = free_port()
        self.node = f"pandawa-faults-{self.port}@localhost"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{self.host}:{self.port}//"

    def start(self) -> None:
        env = {
            **os.environ,
            "HOME": str(self.dir),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": self.host,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
        }
        if self.host != "127.0.0.1":
            # `guest` may sign in from loopback only, unless told otherwise
            (self.dir / "rabbitmq.conf").write_text("loopback_users = none\n")
        with (self.dir / "server.log").open("a") as handle:
            self.proc = subprocess.Popen(
                [self.SERVER], env=env, stdout=handle, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.3)
        raise BenchError("our rabbitmq-server did not answer")

    def ping(self) -> bool:
        import kombu

        try:
            with kombu.Connection(self.url, connect_timeout=1) as connection:
                connection.connect()
                return True
        except Exception:
            return False

    def flush(self) -> None:
        """Celery's queue emptied between scenarios (what a scenario left must not leak)."""
        import kombu

        with kombu.Connection(self.url) as connection:
            with contextlib.suppress(connection.channel_errors):  # no queue yet: nothing left
                connection.default_channel.queue_purge("celery", nowait=False)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


# -- the Procfile's processes ----------------------------------------------------------------


def procfile(path: Path) -> dict[str, str]:
    """The Procfile's processes by name, each command exactly as written."""
    lines = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            lines[name.strip()] = command.strip()
    return lines


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 25) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.proc.wait(timeout=10)
        # a group member may outlive its leader (a pool child): nothing of ours stays behind
        self.signal_group(signal.SIGKILL)

    def tail(self, lines: int = 30) -> str:
        try:
            return "".join(self.log.read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""


class Processes:
    """The Procfile's long-running processes for one scenario (every line but `release`)."""

    def __init__(self, commands: dict[str, str], cwd: Path, env: dict, logs: Path) -> None:
        self.commands, self.cwd, self.env, self.logs = commands, cwd, env, logs
        self.running: list[Proc] = []
        self._n = itertools.count(1)

    @property
    def names(self) -> list[str]:
        return [n for n in self.commands if n != "release"]

    def start(self, name: str) -> Proc:
        log_path = self.logs / f"{name}-{next(self._n)}.log"
        with log_path.open("w") as handle:
            proc = subprocess.Popen(
                ["bash", "-c", self.commands[name]],
                cwd=self.cwd,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        started = Proc(name, proc, log_path)
        self.running.append(started)
        return started

    def of(self, name: str) -> list[Proc]:
        return [p for p in self.running if p.name == name and p.alive()]

    def start_all(self) -> None:
        for name in self.names:
            self.start(name)

    def stop_all(self) -> None:
        for p in reversed(self.running):
            p.stop()

    def exited(self) -> list[Proc]:
        return [p for p in self.running if not p.alive()]


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            kids = [
                int(x)
                for t in Path(f"/proc/{current}/task").iterdir()
                for x in (t / "children").read_text().split()
            ]
        except OSError:
            kids = []
        found.extend(kids)
        todo.extend(kids)
    return found


def pid_with_local_port(port: int, candidates: list[int]) -> int | None:
    """The process among `candidates` holding a TCP socket whose local port is `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    for pid in candidates:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return pid
        except OSError:
            continue
    return None


# -- the provider's side: webhooks in, REST API out ------------------------------------------


@dataclass
class Delivery:
    """One inbound message as the provider holds it until a 2xx answer."""

    sid: str
    citizen: str
    seq: int
    form: dict
    attempts: int = 0
    statuses: list[str] = field(default_factory=list)
    accepted_at: float | None = None
    given_up: bool = False


class Provider:
    """Delivers signed webhooks from a few threads, as Twilio does; a 5xx, a timeout or a
    dropped connection is delivered again later (1, 2, 4, 8 s, then every 8 s) until
    `give_up_after` seconds from the first try. A 4xx is final."""

    def __init__(
        self,
        url: str,
        signed_for: str,
        auth_token: str,
        threads: int = 8,
        timeout: float = 10.0,
        give_up_after: float = 600.0,
    ) -> None:
        self.url, self.signed_for = url, signed_for
        self.validator = RequestValidator(auth_token)
        self.timeout, self.give_up_after = timeout, give_up_after
        self.deliveries: dict[str, Delivery] = {}
        self.posts = 0
        self._heap: list[tuple[float, int, Delivery, float]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._stopped = False
        self._threads = [
            threading.Thread(target=self._run, daemon=True, name=f"provider-{i}")
            for i in range(threads)
        ]
        for t in self._threads:
            t.start()

    def send(self, d: Delivery, at: float | None = None) -> None:
        """Deliver `d` (again, if it was delivered before: the same webhook twice)."""
        first = self.deliveries.setdefault(d.sid, d)
        self._push(at or time.monotonic(), first, time.monotonic())

    def _push(self, due: float, d: Delivery, first_try: float) -> None:
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._order), d, first_try))
            self._cond.notify()

    def idle(self) -> bool:
        with self._cond:
            return not self._heap and self._busy == 0

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._busy

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _run(self) -> None:
        http = requests.Session()
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout=wait)
                if self._stopped:
                    return
                _due, _, d, first_try = heapq.heappop(self._heap)
                self._busy += 1
            try:
                self._post(http, d, first_try)
            finally:
                with self._cond:
                    self._busy -= 1

    def _post(self, http: requests.Session, d: Delivery, first_try: float) -> None:
        signature = self.validator.compute_signature(self.signed_for, d.form)
        with self._cond:
            d.attempts += 1
            attempt = d.attempts
            self.posts += 1
        try:
            answer = http.post(
                self.url,
                data=urlencode(d.form),
                headers={
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                timeout=self.timeout,
            )
            status = str(answer.status_code)
        except requests.Timeout:
            status = "timeout"
        except requests.ConnectionError:
            status = "conn"
            http.close()
        d.statuses.append(status)
        if status.startswith("2"):
            if d.accepted_at is None:
                d.accepted_at = time.monotonic()
            return
        if status.startswith("4"):
            log.warning("webhook %s refused %s: not delivered again", d.sid, status)
            return
        if time.monotonic() - first_try > self.give_up_after:
            d.given_up = True
            return
        self._push(time.monotonic() + min(2.0 ** (attempt - 1), 8.0), d, first_try)
