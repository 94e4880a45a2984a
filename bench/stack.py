"""What the ingest bench starts and must stop: PostgreSQL databases, a Redis db number,
gunicorn servers. Everything is on 127.0.0.1; every start has a matching stop."""

from __future__ import annotations

import logging
import os
import resource
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

log = logging.getLogger("bench")

PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
# the test suite claims free Redis db numbers with this key (tests/services.py): holding it
# keeps a concurrent test run off our db, and we stay off theirs
CLAIM_KEY = "pandawa:test-run"


class BenchError(RuntimeError):
    """A precondition failed; the message says what to do."""


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is not reachable at {PG_ADMIN_DSN} ({exc}); start it, or point "
            "BENCH_PG_ADMIN at a superuser DSN on 127.0.0.1"
        ) from exc


def pg_url(name: str, driver: str = "postgresql") -> str:
    return f"{PG_ADMIN_DSN.rsplit('/', 1)[0].replace('postgresql', driver, 1)}/{name}"


def recreate_database(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(name: str, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with psycopg.connect(pg_url(name), autocommit=True, connect_timeout=3) as conn:
        return conn.execute(sql, params).fetchall()


@dataclass
class RedisDb:
    """A Redis db number claimed for the bench (released and flushed by `release`)."""

    number: int
    token: str
    client: redis.Redis

    @property
    def url(self) -> str:
        return f"{REDIS_BASE}/{self.number}"

    def purge(self) -> None:
        """Empty the db between runs (published tasks of the previous run), keep the claim."""
        self.client.flushdb()
        self.client.set(CLAIM_KEY, self.token, ex=3 * 3600)

    def queued_tasks(self) -> int:
        """Messages waiting in Celery queues (Redis lists), i.e. tasks published."""
        total = 0
        for key in self.client.scan_iter(count=1000):
            if self.client.type(key) == b"list":
                total += self.client.llen(key)
        return total

    def release(self) -> None:
        self.client.flushdb()
        self.client.close()


def claim_redis_db() -> RedisDb:
    token = f"bench-{uuid.uuid4().hex}"
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{number}", socket_connect_timeout=3)
        try:
            # a db is free when nobody claimed it and it holds nothing at all
            if client.dbsize() == 0 and client.set(CLAIM_KEY, token, nx=True, ex=3 * 3600):
                return RedisDb(number, token, client)
        except redis.ConnectionError as exc:
            client.close()
            raise BenchError(f"Redis is not reachable at {REDIS_BASE} ({exc})") from exc
        client.close()
    raise BenchError("no free (empty, unclaimed) Redis db number between 1 and 15")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Daemon:
    """A long-running process without a port (e.g. `pandawa dispatcher`), in its own process
    group, logging to a file; stopped like the servers."""

    name: str
    proc: subprocess.Popen
    log_path: Path

    def pids(self) -> list[int]:
        """The process and its children (a console script runs in-process: usually one)."""
        return [self.proc.pid, *children(self.proc.pid)]

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "".join(self.log_path.read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass


@dataclass
class Server(Daemon):
    """A gunicorn master in its own process group, logging to a file."""

    port: int = 0
    worker_pids: list[int] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def peak_memory_kib(self) -> dict[int, int]:
        """VmHWM (peak resident set) of each worker process, in KiB."""
        return {pid: hwm for pid in self.workers() if (hwm := vm_hwm_kib(pid)) is not None}


def start_gunicorn(
    name: str,
    gunicorn: Path,
    app: str,
    port: int,
    workers: int,
    env: dict[str, str],
    cwd: Path,
    log_path: Path,
    probe_path: str,
) -> Server:
    cmd = [
        str(gunicorn),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        *_quiet_flags(gunicorn),
        app,
    ]
    handle = log_path.open("w")
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    handle.close()
    server = Server(name=name, proc=proc, log_path=log_path, port=port)
    try:
        _wait_ready(server, workers, probe_path)
    except BaseException:
        server.stop()
        raise
    server.worker_pids = server.workers()
    return server


def _quiet_flags(gunicorn: Path) -> list[str]:
    # gunicorn 24+ opens a control socket at one fixed path (~/.gunicorn/gunicorn.ctl): two
    # servers (or a test's gunicorn) would take it from each other, and remove it on exit
    help_text = subprocess.run(
        [str(gunicorn), "--help"], capture_output=True, text=True, check=False
    ).stdout
    return ["--no-control-socket"] if "--no-control-socket" in help_text else []


def _wait_ready(server: Server, workers: int, probe_path: str, timeout: float = 60) -> None:
    """Both workers booted and one of them answers HTTP (any status: the app is loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise BenchError(f"{server.name}: gunicorn exited at start:\n{server.log_tail()}")
        if len(server.workers()) >= workers and _answers(server.port, probe_path):
            # the second worker imports the app lazily too: give it a moment to finish
            time.sleep(1.0)
            return
        time.sleep(0.2)
    raise BenchError(f"{server.name}: not ready after {timeout:.0f}s:\n{server.log_tail()}")


def _answers(port: int, path: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            return s.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(x) for x in text.split()]
    except (OSError, ValueError):
        pass
    found = []  # kernels without /proc/.../children: scan for the parent id
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run(cmd: Sequence[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    """Run a set-up command to completion; its output is returned (raised on failure)."""
    done = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(cmd)} failed ({done.returncode}):\n"
            f"{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """User+system CPU seconds each process has used so far (gone processes are left out)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return used


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


def backend_pids(database: str) -> list[int]:
    """PostgreSQL server processes serving connections to one database."""
    with _admin() as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))
        return [row[0] for row in rows]


class CpuMeter:
    """CPU used during one load run: the web workers, their PostgreSQL backends, the load
    generator, and everything else on the machine (other people's work skews results)."""

    def __init__(self, workers: list[int], database: str) -> None:
        self.workers, self.database = workers, database

    def __enter__(self) -> CpuMeter:
        self.w0 = cpu_seconds(self.workers)
        self.p0 = cpu_seconds(backend_pids(self.database))
        self.m0 = machine_cpu_seconds()
        self.c0 = _children_cpu()
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.monotonic() - self.t0
        w1 = cpu_seconds(self.workers)
        self.worker = sum(w1[p] - self.w0.get(p, 0.0) for p in w1)
        p1 = cpu_seconds(backend_pids(self.database))
        self.postgres = sum(p1[p] - self.p0.get(p, 0.0) for p in p1)
        m1 = machine_cpu_seconds()
        self.machine_busy = m1[0] - self.m0[0]
        self.machine_total = m1[1] - self.m0[1]
        self.loadgen = _children_cpu() - self.c0

    def summary(self, requests: int) -> dict:
        other = self.machine_busy - self.worker - self.postgres - self.loadgen
        per = 1000.0 / requests if requests else 0.0
        return {
            "worker_cpu_ms_per_request": round(self.worker * per, 3),
            "postgres_cpu_ms_per_request": round(self.postgres * per, 3),
            "loadgen_cpu_seconds": round(self.loadgen, 2),
            "machine_busy_pct": round(100 * self.machine_busy / self.machine_total, 1)
            if self.machine_total
            else None,
            # cores' worth of CPU used by everything else (tests of others, Redis, …)
            "other_cores": round(other / self.wall, 2) if self.wall else None,
        }


def _children_cpu() -> float:
    # wrk is a waited-for child; the open-loop generator runs in this process
    return sum(
        u.ru_utime + u.ru_stime
        for u in (
            resource.getrusage(resource.RUSAGE_CHILDREN),
            resource.getrusage(resource.RUSAGE_SELF),
        )
    )


def start_daemon(
    name: str,
    cmd: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    log_path: Path,
    ready: Callable[[], bool],
    timeout: float = 60,
) -> Daemon:
    """Start `cmd` in a session of its own; ready once `ready()` says so (e.g. a heartbeat)."""
    handle = log_path.open("w")
    proc = subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    handle.close()
    daemon = Daemon(name, proc, log_path)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise BenchError(f"{name} exited at start:\n{daemon.log_tail()}")
            if ready():
                return daemon
            if time.monotonic() > deadline:
                raise BenchError(f"{name}: not ready after {timeout:.0f}s:\n{daemon.log_tail()}")
            time.sleep(0.2)
    except BaseException:
        daemon.stop()
        raise


class CpuMeterApart(CpuMeter):
    """CpuMeter that also reads some processes apart (e.g. the outbox dispatcher): their CPU
    in the window is reported on its own and no longer counted as `other` load."""

    def __init__(self, workers: list[int], database: str, apart: list[int]) -> None:
        super().__init__(workers, database)
        self.apart = apart

    def __enter__(self) -> CpuMeterApart:
        self.a0 = cpu_seconds(self.apart)
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.apart_seconds = self.apart_since_start()

    def apart_since_start(self) -> float:
        """CPU seconds the apart processes used since the window opened (also after it)."""
        a1 = cpu_seconds(self.apart)
        return sum(a1[p] - self.a0.get(p, 0.0) for p in a1)

    def summary(self, requests: int) -> dict:
        out = super().summary(requests)
        if self.wall and out["other_cores"] is not None:
            other = self.machine_busy - self.worker - self.postgres - self.loadgen
            out["other_cores"] = round((other - self.apart_seconds) / self.wall, 2)
        per = 1000.0 / requests if requests else 0.0
        out["apart_cpu_ms_per_request"] = round(self.apart_seconds * per, 3)
        return out
