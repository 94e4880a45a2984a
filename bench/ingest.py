"""Ingest benchmark: Pandawa's Twilio webhook against the minimal baseline, same machine, same
gunicorn settings, same load, in one run.

Pandawa runs as deployed: gunicorn and its outbox dispatcher (`pandawa dispatcher`); the
baseline once per BENCH_MODE asked for (default db and celery), each side its own server and
database, rounds alternating over all of them.

    .venv/bin/python bench/ingest.py            # the full bench (~4 minutes)
    .venv/bin/python bench/ingest.py --help     # shorter runs, one side, profiling

See bench/README.md for what is measured and how to read it. Loopback only; everything it
starts (gunicorn servers, databases, a Redis db, temp files) it stops or removes on the way
out, on error and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path

import openloop
import report
import stack
from sides import BASELINE_SRC, REPO, VENV_BIN, Side, setup_baseline, setup_pandawa
from signed import RequestFile
from stack import BenchError, RedisDb
from wrkrun import WrkResult, run_wrk

log = logging.getLogger("bench")

OUT_DIR = Path(__file__).resolve().parent / "out"
CALIBRATION_LINES = 30_000  # ample at any rate this app reaches on 2 cores for CALIBRATION_S
CALIBRATION_S = 5.0
BASELINE_MODES = ("bare", "sig", "db", "celery")
DRAIN_TIMEOUT_S = 30.0  # how long the dispatcher may take to publish a round's backlog


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rounds", type=int, default=3, help="throughput rounds per side (3)")
    p.add_argument("--duration", type=float, default=15, help="seconds per wrk round (15)")
    p.add_argument("--warmup", type=float, default=3, help="warm-up seconds before each (3)")
    p.add_argument("--threads", type=int, default=2, help="wrk -t (2)")
    p.add_argument("--connections", type=int, default=16, help="wrk -c (16)")
    p.add_argument("--rate", type=float, default=200, help="fixed-rate requests/s (200)")
    p.add_argument("--rate-duration", type=float, default=15, help="fixed-rate seconds (15)")
    p.add_argument("--rate-rounds", type=int, default=3, help="fixed-rate runs per side (3)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    p.add_argument(
        "--baseline-mode",
        default="db,celery",
        help="comma-separated BENCH_MODEs, one baseline side each (db,celery): bare, sig, "
        "db (form+signature+INSERT+COMMIT), celery (db + one publish)",
    )
    p.add_argument(
        "--dispatcher",
        default="on",
        choices=("on", "off"),
        help="run Pandawa's outbox dispatcher beside its gunicorn, as the Procfile does (on)",
    )
    p.add_argument(
        "--sides",
        default="baseline,pandawa",
        help="comma-separated: baseline, pandawa (default both)",
    )
    p.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="SECONDS",
        help="afterwards, profile each side's workers with py-spy under wrk load",
    )
    args = p.parse_args(argv)
    args.sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    if not args.sides or set(args.sides) - {"baseline", "pandawa"}:
        p.error("--sides takes baseline, pandawa or both")
    modes = [m.strip() for m in args.baseline_mode.split(",") if m.strip()]
    if not modes or set(modes) - set(BASELINE_MODES):
        p.error(f"--baseline-mode takes a comma-separated list of {', '.join(BASELINE_MODES)}")
    args.baseline_modes = list(dict.fromkeys(modes))  # in the order given, once each
    if not (
        1 <= args.rounds <= 10
        and 1 <= args.duration <= 120
        and 0 < args.warmup <= 30
        and 1 <= args.rate <= 2000
        and 1 <= args.rate_duration <= 120
        and 1 <= args.rate_rounds <= 10
        and 0 <= args.profile <= 120
    ):
        p.error("keep runs bounded: rounds 1-10, durations up to 120 s, rate up to 2000/s")
    return args


def preflight(args: argparse.Namespace) -> None:
    """Everything the bench needs, with how to get what is missing."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed: `apt-get update && apt-get install -y wrk`")
    for tool in ("gunicorn", "pandawa"):
        if not (VENV_BIN / tool).exists():
            raise BenchError(
                f"{VENV_BIN / tool} is missing: run this with the project venv "
                "(`.venv/bin/python bench/ingest.py`) after `pip install -e .[dev]`"
            )
    if "baseline" in args.sides and not (BASELINE_SRC / "app.py").is_file():
        raise BenchError(f"the baseline is not at {BASELINE_SRC}; set BENCH_BASELINE_DIR")
    if args.profile and not (VENV_BIN / "py-spy").exists():
        raise BenchError("--profile needs py-spy: `.venv/bin/pip install 'py-spy>=0.4'`")
    if not (BASELINE_SRC / "gen_requests.py").is_file():
        raise BenchError(f"the request generator is read from {BASELINE_SRC}/gen_requests.py")


def settle(side: Side, requests: RequestFile, timeout: float = 20) -> list[str]:
    """The stored MessageSids of one file, once the count stops moving (workers may still
    be answering requests wrk left in flight)."""
    lo, hi = requests.sid_range
    deadline, last, stable = time.monotonic() + timeout, -1, 0
    while True:
        sids = [row[0] for row in stack.query(side.db, side.sid_sql, (lo, hi))]
        stable = stable + 1 if len(sids) == last else 0
        if stable >= 3 or time.monotonic() > deadline:
            return sids
        last = len(sids)
        time.sleep(0.3)


def outbox_mark(side: Side) -> int | None:
    """The last task_outbox id before a run (Pandawa only): the run's rows come after it."""
    if not side.outbox:
        return None
    return stack.query(side.db, "SELECT coalesce(max(id), 0) FROM task_outbox")[0][0]


def drain(side: Side, timeout: float = DRAIN_TIMEOUT_S) -> float | None:
    """Wait until the dispatcher has published every outbox row; the seconds it took (None
    when no dispatcher runs: the rows stay unpublished, as they would in production)."""
    if side.dispatcher is None:
        return None
    t0 = time.monotonic()
    while True:
        waiting = stack.query(
            side.db, "SELECT count(*) FROM task_outbox WHERE published_at IS NULL"
        )[0][0]
        waited = time.monotonic() - t0
        if waiting == 0:
            return round(waited, 2)
        if side.dispatcher.proc.poll() is not None:
            raise BenchError(f"the dispatcher exited:\n{side.dispatcher.log_tail()}")
        if waited > timeout:
            log.warning(
                "%s: %d outbox rows still unpublished after %.0fs", side.title, waiting, waited
            )
            return round(waited, 2)
        time.sleep(0.1)


def handed_on(
    side: Side,
    mark: int | None,
    meter: stack.CpuMeter,
    stored: int,
    requests: int,
    redis_db: RedisDb,
) -> dict:
    """The tasks one run handed on: Pandawa's outbox rows written and published (once the
    dispatcher has caught up), the tasks queued in Redis, what the side should have queued,
    and the dispatcher's CPU from the start of the run until it caught up."""
    out: dict = {"expected": stored if side.publishes else 0}
    if side.outbox:
        out["drain_s"] = drain(side)
        written, published = stack.query(
            side.db,
            "SELECT count(*), count(published_at) FROM task_outbox WHERE id > %s",
            (mark,),
        )[0]
        out["outbox_written"], out["outbox_published"] = written, published
        if isinstance(meter, stack.CpuMeterApart):
            seconds = meter.apart_since_start()
            out["dispatcher_cpu_ms_per_request"] = (
                round(seconds * 1000.0 / requests, 3) if requests else None
            )
    out["queued"] = redis_db.queued_tasks()
    ok = out["queued"] == out["expected"]
    if side.outbox:
        # one process_inbound row per stored text message, published iff a dispatcher runs
        ok = ok and out["outbox_written"] == stored
        ok = ok and out["outbox_published"] == (stored if side.dispatcher else 0)
    out["passed"] = ok
    return out


def meter(side: Side) -> stack.CpuMeter:
    if side.dispatcher is None:
        return stack.CpuMeter(side.server.worker_pids, side.db)
    return stack.CpuMeterApart(side.server.worker_pids, side.db, side.dispatcher.pids())


def load(side: Side, requests: RequestFile, args: Namespace, seconds: float) -> WrkResult:
    return run_wrk(
        side.server.base_url,
        side.path,
        requests,
        threads=args.threads,
        connections=args.connections,
        seconds=seconds,
    )


def calibrate(side: Side, args: Namespace, redis_db: RedisDb) -> None:
    """A first warm-up that also estimates the rate, to size the request files."""
    redis_db.purge()
    result = load(side, side.signer.write("calibrate", CALIBRATION_LINES), args, CALIBRATION_S)
    side.rps_estimate = max(result.rps, 50.0)
    log.info("%s: calibration %.0f req/s (%d non-2xx)", side.title, result.rps, result.non2xx)
    if result.completed and result.non2xx == result.completed:
        raise BenchError(
            f"{side.title}: every request failed (HTTP >= 400); server log:\n"
            f"{side.server.log_tail()}"
        )


def file_size(side: Side, args: Namespace, seconds: float) -> int:
    # enough fresh MessageSids that no wrk thread wraps: expected rate x seconds x 2
    # (x2 rather than x1.5: on a shared machine the rate swings with the neighbours' load)
    return math.ceil(side.rps_estimate * seconds * 2.0) + 4 * args.connections


def generate(side: Side, args: Namespace) -> None:
    side.files = [
        (
            side.signer.write(f"{side.key}-r{r}-warmup", file_size(side, args, args.warmup)),
            side.signer.write(f"{side.key}-r{r}", file_size(side, args, args.duration)),
        )
        for r in range(args.rounds)
    ]
    side.fixed_files = [
        side.signer.write(f"{side.key}-fixed{r}", math.ceil(args.rate * args.rate_duration))
        for r in range(args.rate_rounds)
    ]


def throughput_round(side: Side, r: int, args: Namespace, redis_db: RedisDb) -> None:
    warm, measured = side.files[r]
    for attempt in range(2):
        load(side, warm, args, args.warmup)
        settle(side, warm)  # its last requests publish too: let them land before the purge
        drain(side)  # and the dispatcher hand on the warm-up's outbox rows
        redis_db.purge()
        mark = outbox_mark(side)
        with meter(side) as cpu:
            result = load(side, measured, args, args.duration)
        if not result.exhausted or attempt:
            break
        # faster than calibrated: the run was cut short; redo it once with room to spare
        side.rps_estimate = max(side.rps_estimate, result.issued / args.duration) * 1.5
        log.warning("%s round %d ran out of fresh requests; redoing it", side.title, r + 1)
        warm = side.signer.write(f"{side.key}-r{r}-warmup-b", file_size(side, args, args.warmup))
        measured = side.signer.write(f"{side.key}-r{r}-b", file_size(side, args, args.duration))
    stored = settle(side, measured)
    integrity = report.wrk_integrity(measured, result, stored)
    tasks = handed_on(side, mark, cpu, len(stored), result.completed, redis_db)
    run = {
        "round": r,
        "wrk": result.summary(),
        "cpu": cpu.summary(result.completed),
        "integrity": integrity,
        "tasks": tasks,
        "tasks_published": tasks["queued"],
        "worker_vmhwm_kib": side.server.peak_memory_kib(),
        "wrk_text": result.text,
    }
    side.runs.append(run)
    log.info(
        "%s round %d: %.0f req/s, p50 %.2f ms, p99 %.2f ms, worker CPU %.2f ms/req; "
        "%d 2xx, %d rows, %d duplicated, %d missing of %d unanswered, %d non-2xx; "
        "tasks %s; other load %s cores%s",
        side.title,
        r + 1,
        result.rps,
        result.latency_ms("p50"),
        result.latency_ms("p99"),
        run["cpu"]["worker_cpu_ms_per_request"],
        result.ok,
        len(stored),
        integrity["duplicated"],
        integrity["missing"],
        integrity["unanswered"],
        result.non2xx,
        report.tasks_text(tasks),
        run["cpu"]["other_cores"],
        " (CUT SHORT: request file too small)" if result.exhausted else "",
    )


def fixed_rate(side: Side, r: int, args: Namespace, redis_db: RedisDb) -> None:
    requests = side.fixed_files[r]
    port = side.server.port
    wire = [
        openloop.build_request("127.0.0.1", port, side.path, sig, body)
        for sig, body in requests.lines()
    ]
    drain(side)
    redis_db.purge()
    mark = outbox_mark(side)
    with meter(side) as cpu:
        outcomes, wall = openloop.run_fixed_rate("127.0.0.1", port, wire, args.rate)
    stored = settle(side, requests)
    summary = openloop.summarise(outcomes, wall)
    integrity = report.exact_integrity(requests, outcomes, stored)
    tasks = handed_on(side, mark, cpu, len(stored), len(outcomes), redis_db)
    side.fixed.append(
        {
            "round": r,
            "load": summary,
            "cpu": cpu.summary(len(outcomes)),
            "integrity": integrity,
            "tasks": tasks,
            "worker_vmhwm_kib": side.server.peak_memory_kib(),
        }
    )
    log.info(
        "%s at %g req/s, round %d: p50 %s ms, p99 %s ms, statuses %s; lost %d, duplicated %d; "
        "tasks %s; other load %s cores",
        side.title,
        args.rate,
        r + 1,
        summary["latency_ms"]["p50"],
        summary["latency_ms"]["p99"],
        summary["statuses"],
        integrity["lost"],
        integrity["duplicated"],
        report.tasks_text(tasks),
        side.fixed[-1]["cpu"]["other_cores"],
    )


def environment() -> dict:
    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(
                cmd, capture_output=True, text=True, cwd=REPO, timeout=10, check=False
            ).stdout.strip()
        except OSError:
            return ""

    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "",
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "wrk": out(["wrk", "--version"]).splitlines()[0] if out(["wrk", "--version"]) else "",
        "git_head": out(["git", "rev-parse", "--short", "HEAD"]),
        "git_dirty": bool(out(["git", "status", "--porcelain", "--untracked-files=no"])),
    }


def bench(args: argparse.Namespace, exits: contextlib.ExitStack) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="pandawa-bench-"))
    exits.callback(shutil.rmtree, tmp, ignore_errors=True)
    (tmp / "reqs").mkdir()
    redis_db = stack.claim_redis_db()
    exits.callback(redis_db.release)
    log.info("work dir %s, Redis db %d", tmp, redis_db.number)
    # the source is read-only: run (and import the request generator) from a copy; Pandawa's
    # requests come from the same generator, so the copy is made for it too
    shutil.copytree(
        BASELINE_SRC,
        tmp / "baseline",
        ignore=shutil.ignore_patterns("*.tsv", ".venv*", "__pycache__"),
    )
    sides: list[Side] = []
    try:
        for key in args.sides:
            if key == "baseline":
                started = [
                    setup_baseline(args, m, tmp, redis_db, exits) for m in args.baseline_modes
                ]
            else:
                started = [setup_pandawa(args, tmp, redis_db, exits)]
            for side in started:
                sides.append(side)
                log.info(
                    "%s up on %s (workers %s%s)",
                    side.title,
                    side.server.base_url,
                    side.server.worker_pids,
                    f", dispatcher {side.dispatcher.proc.pid}" if side.dispatcher else "",
                )
        for side in sides:
            calibrate(side, args, redis_db)
        for side in sides:
            generate(side, args)
        for r in range(args.rounds):
            for side in sides:
                throughput_round(side, r, args, redis_db)
        for r in range(args.rate_rounds):
            for side in sides:
                fixed_rate(side, r, args, redis_db)
        profiles = {}
        if args.profile:
            import profiling

            for side in sides:
                redis_db.purge()
                keep = OUT_DIR / f"profile-{args.stamp}-{side.key}.txt"
                profiles[side.key] = profiling.profile_under_load(
                    side, args, VENV_BIN / "py-spy", tmp, keep
                )
    except BaseException:
        for side in sides:
            sys.stderr.write(f"\n--- {side.key} server log (tail) ---\n{side.server.log_tail(40)}")
            if side.dispatcher:
                sys.stderr.write(
                    f"\n--- {side.key} dispatcher log (tail) ---\n{side.dispatcher.log_tail(40)}"
                )
        raise
    for side in sides:
        if sorted(side.server.workers()) != sorted(side.server.worker_pids):
            log.warning(
                "%s: gunicorn replaced a worker during the run (crash or timeout?); see its log",
                side.title,
            )
        if side.dispatcher and side.dispatcher.proc.poll() is not None:
            log.warning("%s: the dispatcher exited during the run; see its log", side.title)
    peaks = {s.key: max(s.server.peak_memory_kib().values(), default=None) for s in sides}
    summary = {s.key: report.side_summary(s.runs, s.fixed, peaks[s.key]) for s in sides}
    return {
        "config": {k: v for k, v in vars(args).items()},
        "environment": environment(),
        "summary": summary,
        "titles": {s.key: s.title for s in sides},
        "runs": {s.key: s.runs for s in sides},
        "fixed_rate": {s.key: s.fixed for s in sides},
        "calibration_rps": {s.key: round(s.rps_estimate, 1) for s in sides},
        "profiles": profiles,
        "server_logs": {s.key: s.server.log_tail(30) for s in sides},
        "dispatcher_logs": {s.key: s.dispatcher.log_tail(30) for s in sides if s.dispatcher},
    }


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the cleanup callbacks


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.stamp = time.strftime("%Y%m%d-%H%M%S")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    signal.signal(signal.SIGTERM, _terminate)
    OUT_DIR.mkdir(exist_ok=True)
    try:
        preflight(args)
        with contextlib.ExitStack() as exits:
            results = bench(args, exits)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    table = report.markdown(results["summary"], results["titles"], args.rate)
    rounds = report.rounds_markdown(results["runs"], results["titles"])
    fixed = report.fixed_markdown(results["fixed_rate"], results["titles"], args.rate)
    out = OUT_DIR / f"ingest-{args.stamp}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\n{table}\n\nThroughput rounds:\n\n{rounds}\n\nFixed-rate runs:\n\n{fixed}\n")
    if results["profiles"]:
        import profiling

        for key, profile in results["profiles"].items():
            print(profiling.markdown(profile, results["titles"][key]))
    print(f"raw results: {out.relative_to(REPO)}")
    short = [k for k, s in results["summary"].items() if not s["tasks_passed"]]
    if short:
        print(
            f"tasks handed on differ from the rows stored for {', '.join(short)}: see the "
            "rounds' tasks column and the JSON (a message is stored, so not lost)",
            file=sys.stderr,
        )
    failed = [k for k, s in results["summary"].items() if not s["integrity_passed"]]
    if failed:
        print(f"INTEGRITY FAILED for {', '.join(failed)}: see the JSON", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
