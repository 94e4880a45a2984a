"""Release bench: 10,000 deferred tickets released at one opening, every citizen told once,
oldest first, through Celery workers and the real twilio client, paced at 80 messages/s.

    .venv/bin/python bench/release.py --source HEAD                  # the full run (~3 minutes)
    .venv/bin/python bench/release.py --source HEAD --tickets 1000   # a quick one
    .venv/bin/python bench/release.py --source HEAD --workers 4,4 --beats 2

See bench/README.md ("Release bench"). Loopback only; bounded in time; everything it starts
(workers, the fake Twilio, a database, a Redis db, a temp dir) it stops or removes on the way
out, on errors and Ctrl-C too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import typing
from datetime import timedelta
from pathlib import Path

import release_report
import stack
from celery import Celery
from release_setup import (
    BEFORE_OPENING,
    OPENING,
    ClockFile,
    Seeded,
    Worker,
    seed_tickets,
    start_workers,
    wait_ready,
)
from sides import REPO, VENV_BIN, child_env
from stack import BenchError, RedisDb

if typing.TYPE_CHECKING:
    from tests.fakes.twilio import FakeTwilio

log = logging.getLogger("bench")

OUT_DIR = Path(__file__).resolve().parent / "out"
DATABASE = "pandawa_bench_release"
ACCOUNT_SID = "AC" + "be7c4" * 6 + "00"
AUTH_TOKEN = "bench-release-token-0123456789ab"
# what the product needs to run, and the fake Twilio (taken from the same source)
SOURCE_PATHS = ("pandawa", "migrations", "tests/__init__.py", "tests/fakes", "pyproject.toml")
QUIET_AFTER = 5.0  # after the last expected message, listen this long for duplicates
POLL = 1.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--tickets", type=int, default=10_000, help="deferred tickets (10000)")
    p.add_argument("--rate", type=float, default=80, help="OUTBOUND_RATE_PER_SECOND (80)")
    p.add_argument(
        "--limit",
        type=float,
        help="the provider's limit the sends are checked against and the target time is "
        "computed from (default: the rate); e.g. --rate 78 --limit 80 paces with a margin",
    )
    p.add_argument(
        "--workers",
        default="8",
        help="prefork concurrency of each `celery worker` process, comma-separated: "
        "8 = one process with 8 children, 4,4 = two processes (default 8: the least that "
        "keeps up with 80/s, see bench/README.md)",
    )
    p.add_argument(
        "--beats",
        type=int,
        default=1,
        choices=(1, 2),
        help="publishes of tickets.release_deferred at 08:00, at the same instant (1)",
    )
    p.add_argument(
        "--patch",
        action="append",
        default=[],
        metavar="DIFF",
        help="with --source: apply this diff (patch -p1) to the exported copy first, to "
        "measure a suggested change (bench/patches/); repeatable",
    )
    p.add_argument(
        "--history",
        type=int,
        default=6,
        help="handled messages per citizen before the ticket (the weekend's chat with the "
        "bot), so the outbox tables and their statistics look in use (6; 0: none)",
    )
    p.add_argument("--timeout", type=float, default=300, help="abort after this many s (300)")
    p.add_argument(
        "--source",
        metavar="REV",
        help="run the product as committed at git REV (e.g. HEAD), exported to a temp dir "
        "with `git archive`, instead of the working tree (which others may be editing)",
    )
    args = p.parse_args(argv)
    args.limit = args.limit or args.rate
    if args.patch and not args.source:
        p.error("--patch needs --source REV: the working tree is never patched")
    try:
        args.workers = [int(x) for x in args.workers.split(",") if x.strip()]
    except ValueError:
        p.error("--workers takes comma-separated integers, e.g. 4 or 4,4")
    if not (
        1 <= args.tickets <= 50_000
        and 1 <= args.rate <= 1000
        and 1 <= args.limit <= 1000
        and args.workers
        and all(1 <= n <= 32 for n in args.workers)
        and len(args.workers) <= 4
        and 10 <= args.timeout <= 900
        and 0 <= args.history <= 50
    ):
        p.error(
            "keep runs bounded: tickets 1-50000, rate 1-1000, 1-4 workers of 1-32, timeout 10-900 s"
        )
    return args


def preflight() -> None:
    for tool in ("celery", "pandawa"):
        if not (VENV_BIN / tool).exists():
            raise BenchError(
                f"{VENV_BIN / tool} is missing: run this with the project venv "
                "(`.venv/bin/python bench/release.py`) after `pip install -e .[dev]`"
            )


def product_source(rev: str | None, patches: list[str], tmp: Path) -> Path:
    """The directory the product runs from: the working tree, or `rev` exported (read-only
    for git: `git archive` changes nothing in the checkout). The bench process imports the
    models and the fake from there too, so all sides agree."""
    source = REPO
    if rev is not None:
        source = tmp / "src"
        done = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", rev, *SOURCE_PATHS],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            raise BenchError(f"git archive {rev} failed: {done.stderr.decode()[-500:]}")
        with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
            archive.extractall(source, filter="data")
        for diff in patches:
            apply_patch(Path(diff).resolve(), source, rev)
    if not (source / "pandawa" / "catalog" / "default.yaml").is_file():
        raise BenchError(f"the shipped catalogue is not in {source}/pandawa/catalog")
    sys.path.insert(0, str(source))
    return source


class Sampler(threading.Thread):
    """Every half second: messages received so far and how far ahead the sender's pacing
    schedule reaches (its GCRA TAT, on Redis's clock). Also advances the rehearsal clock
    with the wall clock from 08:00, so times written by the workers are real durations."""

    def __init__(
        self, fake: FakeTwilio, redis_db: RedisDb, sender: str, clock: ClockFile, t0: float
    ) -> None:
        super().__init__(daemon=True)
        self.fake, self.redis, self.clock, self.t0 = fake, redis_db.client, clock, t0
        self.key = f"pandawa:pace:{sender}"
        self.samples: list[dict] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        tick = 0
        while not self.stopping.wait(0.05):
            elapsed = time.monotonic() - self.t0
            self.clock.set(OPENING + timedelta(seconds=elapsed))
            tick += 1
            if tick % 10:
                continue
            with contextlib.suppress(Exception):  # a missed sample is no harm
                raw, (sec, usec) = self.redis.get(self.key), self.redis.time()
                now = sec + usec / 1e6
                tat = int(raw) / 1e6 if raw else None
                self.samples.append(
                    {
                        "t": round(elapsed, 2),
                        "received": len(self.fake.messages),
                        "schedule_ahead_s": round(tat - now, 3) if tat else None,
                    }
                )

    def schedule(self) -> dict:
        """How far ahead the pacing schedule reached. Ahead: every send slot was taken before
        it came (the workers kept the sender busy); at or behind now (or no key): the sender
        sat idle at that moment, for want of a worker ready to send."""
        ahead = [x["schedule_ahead_s"] for x in self.samples if x["received"]]
        idle = sum(1 for a in ahead if a is None or a <= 0)
        return {
            "max_ahead_s": max((a for a in ahead if a is not None), default=None),
            "median_ahead_s": sorted(a or 0.0 for a in ahead)[len(ahead) // 2] if ahead else None,
            "idle_samples_pct": round(100 * idle / len(ahead), 1) if ahead else None,
        }


def cpu_snapshot(workers: list[Worker]) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the workers (masters and pool children), the database's
    PostgreSQL backends, and this process (the fake Twilio's threads)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "workers": stack.cpu_seconds([pid for w in workers for pid in w.pids()]),
        "postgres": stack.cpu_seconds(stack.backend_pids(DATABASE)),
        "bench_and_fake": {os.getpid(): own.ru_utime + own.ru_stime},
        # the whole server (shared with anything else using it): broker, pacing, locks
        "redis_server": stack.cpu_seconds(_pids_named("redis-server")),
    }


def cores_used(cpu0: dict, cpu1: dict, wall: float, busy0: tuple, busy1: tuple) -> dict:
    """Cores' worth of CPU over the run, by who used it; `other`: the rest of the machine's
    busy time (the kernel, autovacuum, other people's work on a shared machine)."""
    cores = {
        key: round(sum(cpu1[key][p] - cpu0[key].get(p, 0.0) for p in cpu1[key]) / wall, 2)
        for key in cpu1
    }
    cores["other"] = round((busy1[0] - busy0[0]) / wall - sum(cores.values()), 2)
    return cores


def _pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


def publish_release(broker_url: str, beats: int) -> list[float]:
    """Publish tickets.release_deferred `beats` times at the same instant (as two beats
    would); returns how long each publish took."""
    apps = [Celery(f"bench-beat-{k}", broker=broker_url) for k in range(beats)]
    for app in apps:
        app.conf.task_serializer = "json"
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=3)
    barrier, took = threading.Barrier(beats), [0.0] * beats

    def beat(k: int) -> None:
        barrier.wait()
        started = time.monotonic()
        apps[k].send_task("tickets.release_deferred", serializer="json")
        took[k] = time.monotonic() - started

    threads = [threading.Thread(target=beat, args=(k,)) for k in range(beats)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in apps:
        app.close()
    return took


def open_rows(name: str) -> int:
    [(count,)] = stack.query(
        name,
        "SELECT count(*) FROM message WHERE direction = 'out' AND status IN ('pending', 'sending')",
    )
    return count


def wait_for_sends(
    args: argparse.Namespace, fake: FakeTwilio, workers: list[Worker], t0: float
) -> str:
    """Until every citizen's message arrived and the outbox is empty, or the time is up."""
    deadline = t0 + args.timeout
    done_at = None
    while time.monotonic() < deadline:
        time.sleep(POLL)
        dead = [w.name for w in workers if w.proc.poll() is not None]
        if dead:
            return f"worker(s) {', '.join(dead)} exited"
        if done_at is None and len(fake.messages) >= args.tickets and open_rows(DATABASE) == 0:
            done_at = time.monotonic()
            log.info(
                "all %s messages received after %.1fs; listening %.0fs for more",
                args.tickets,
                done_at - t0,
                QUIET_AFTER,
            )
        if done_at is not None and time.monotonic() - done_at >= QUIET_AFTER:
            return "complete"
        if int(time.monotonic() - t0) % 10 == 0:
            log.info("%5.0fs: %s messages received", time.monotonic() - t0, len(fake.messages))
    return f"timeout after {args.timeout:.0f}s"


def bench(args: argparse.Namespace, exits: contextlib.ExitStack) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="pandawa-release-"))
    exits.callback(shutil.rmtree, tmp, ignore_errors=True)
    (tmp / "instance").mkdir()
    source = product_source(args.source, args.patch, tmp)
    from tests.fakes.twilio import FakeTwilio

    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    fake.start()
    exits.callback(fake.stop)
    redis_db = stack.claim_redis_db()
    exits.callback(redis_db.release)
    stack.recreate_database(DATABASE)
    exits.callback(stack.drop_database, DATABASE)
    clock = ClockFile(tmp / "clock")
    clock.set(BEFORE_OPENING)
    env = child_env(
        {
            "DATABASE_URL": stack.pg_url(DATABASE),
            "CELERY_BROKER_URL": redis_db.url,
            "REDIS_URL": redis_db.url,
            "WHATSAPP_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": fake.url,
            # status callbacks are addressed here; the fake never calls them
            "PUBLIC_BASE_URL": "http://127.0.0.1:9",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "PANDAWA_ENV": "test",
            "PANDAWA_INSTANCE_PATH": str(tmp / "instance"),
            "PANDAWA_CLOCK": clock.setting,
            "OUTBOUND_RATE_PER_SECOND": f"{args.rate:g}",
            "LOG_LEVEL": "INFO",
        }
    )
    log.info("work dir %s, Redis db %d, fake Twilio %s", tmp, redis_db.number, fake.url)
    catalog = source / "pandawa" / "catalog" / "default.yaml"
    stack.run([str(VENV_BIN / "pandawa"), "db", "upgrade"], env, source)
    stack.run([str(VENV_BIN / "pandawa"), "catalog", "load", str(catalog)], env, source)
    seeded: Seeded = seed_tickets(
        stack.pg_url(DATABASE, "postgresql+psycopg"), args.tickets, args.history
    )
    log.info(
        "seeded %s deferred tickets (%s messages of history each) in %.1fs",
        args.tickets,
        args.history,
        seeded.seconds,
    )

    workers = start_workers(VENV_BIN / "celery", args.workers, env, source, tmp)
    for worker in workers:
        exits.callback(worker.stop)
    wait_ready(workers, redis_db.url)
    log.info(
        "workers ready: %s",
        ", ".join(f"{w.name} ×{w.concurrency} (pid {w.proc.pid})" for w in workers),
    )
    if fake.messages:
        raise BenchError("messages were sent before 08:00")

    load_before = os.getloadavg()[0]
    busy0, cpu0 = stack.machine_cpu_seconds(), cpu_snapshot(workers)
    t0 = time.monotonic()
    clock.set(OPENING)
    sampler = Sampler(fake, redis_db, seeded.sender, clock, t0)
    sampler.start()
    publish_s = publish_release(redis_db.url, args.beats)
    log.info("08:00: published tickets.release_deferred ×%s", args.beats)
    try:
        outcome = wait_for_sends(args, fake, workers, t0)
    finally:
        sampler.stopping.set()
        sampler.join(timeout=5)
    wall = time.monotonic() - t0
    busy1, cpu1 = stack.machine_cpu_seconds(), cpu_snapshot(workers)
    log.info("run ended: %s", outcome)

    with fake._lock:
        messages = list(fake.messages)
    for worker in workers:  # kept for a closer look (no phone numbers or bodies in them)
        shutil.copyfile(worker.log_path, OUT_DIR / f"release-{args.stamp}-{worker.name}.log")
    peaks = [kib for w in workers for kib in w.peak_memory_kib().values()]
    result = {
        "config": {
            "tickets": args.tickets,
            "rate": args.rate,
            "limit": args.limit,
            "workers": args.workers,
            "beats": args.beats,
            "timeout": args.timeout,
            "stamp": args.stamp,
            "history": args.history,
            "source": args.source or "working tree",
            "commit": commit_of(args.source),
            "patches": [Path(d).name for d in args.patch],
        },
        "outcome": outcome,
        "seed_seconds": round(seeded.seconds, 2),
        "publish_ms": [round(s * 1000, 2) for s in publish_s],
        "sends": release_report.sends(messages, seeded, t0, args.limit),
        "database": release_report.database(DATABASE, {m.sid for m in messages}),
        "worker_logs": release_report.worker_logs({w.name: w.log_text() for w in workers}),
        "schedule": sampler.schedule(),
        "samples": sampler.samples,
        # every message: [ms after the publish, the citizen's age rank (0: oldest ticket)]
        "arrivals": release_report.arrival_list(messages, seeded, t0),
        "worker_peak_rss_mib": round(max(peaks) / 1024, 1) if peaks else None,
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": round(load_before, 2),
            "busy_pct": round(100 * (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]), 1)
            if busy1[1] > busy0[1]
            else None,
            "python": platform.python_version(),
            # cores' worth of CPU over the run, by who used it
            "cores": cores_used(cpu0, cpu1, wall, busy0, busy1),
        },
        "worker_log_tails": {w.name: "".join(w.log_text().splitlines(True)[-40:]) for w in workers},
    }
    return result


def apply_patch(diff: Path, source: Path, rev: str) -> None:
    """Apply a suggested change to the exported copy; one that `rev` already has is noted
    and skipped (the fix has landed), anything else that does not apply stops the bench."""

    def patch(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["patch", "-p1", "--batch", *flags, "-d", str(source), "-i", str(diff)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    if patch("--forward", "--dry-run").returncode == 0:
        patch("--forward")
    elif patch("--reverse", "--dry-run").returncode == 0:
        log.warning("%s: already in %s, skipped", diff.name, rev)
    else:
        raise BenchError(f"{diff} does not apply to {rev}:\n{patch('--dry-run').stdout[-1000:]}")


def commit_of(rev: str | None) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", rev or "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    return done.stdout.strip() or None


def passed(result: dict) -> bool:
    s, db = result["sends"], result["database"]
    return (
        result["outcome"] == "complete"
        and s["exactly_once"]
        and s["wrong_content"] == 0
        and s.get("timing", {}).get("within_10pct", False)
        and s.get("pacing", {}).get("within_limit", False)
        and db["passed"]
    )


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the cleanup callbacks


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.stamp = time.strftime("%Y%m%d-%H%M%S")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    signal.signal(signal.SIGTERM, _terminate)
    OUT_DIR.mkdir(exist_ok=True)
    try:
        preflight()
        with contextlib.ExitStack() as exits:
            result = bench(args, exits)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    result["passed"] = passed(result)
    out = OUT_DIR / f"release-{args.stamp}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(f"\n{release_report.markdown(result)}\n")
    print(f"run: {result['outcome']}; requirement met: {result['passed']}")
    print(f"raw results: {out.relative_to(REPO)}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
