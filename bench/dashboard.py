"""Dashboard bench: the board, 30 days of figures, the stats API and /metrics with a year of
tickets (default 1,000,000 tickets, 5,000,000 messages).

    .venv/bin/python bench/dashboard.py                    # full scale: seeding ~5-10 minutes
    .venv/bin/python bench/dashboard.py --tickets 20000    # small, about a minute
    .venv/bin/python bench/dashboard.py --keep             # keep the database for reruns
    .venv/bin/python bench/dashboard.py --reuse            # rerun on the kept database

Fresh database, `pandawa db upgrade`, a three-office catalogue (the multi-office example with
eight queues), the set-based seed (bench/dashboard_seed.py), gunicorn as the Procfile runs it
(gthread, 2 workers x 32 threads) with a rehearsal clock fixed just after the seeded year; then
warm-up and N sequential GETs per URL as a signed-in supervisor (the API with a supervisor's
bearer token), and every figures function timed in-process with its SQL statements, the
slowest EXPLAIN ANALYZEd. Everything started is stopped and the database dropped (unless
--keep), on error too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests
import stack
import yaml
from console import sign_in, summary
from dashboard_seed import PASSWORD, bench_catalog, describe, seed
from release_setup import ClockFile
from sides import REPO, VENV_BIN, child_env

log = logging.getLogger("bench")
OUT_DIR = Path(__file__).resolve().parent / "out"
DB_NAME = "pandawa_bench_dashboard"
# Monday morning: Jakarta opens at 08:00 WIB (its weekend's tickets are deferred), Makassar and
# Jayapura opened 30 and 90 minutes ago (their weekend's tickets wait)
CLOCK = "2026-11-30T07:30:00+07:00"
TARGETS = {"board": 300.0, "figures": 300.0, "metrics": 50.0}


def urls(clock: datetime, queue_code: str) -> list[tuple[str, str, str, str | None]]:
    """(key, label, path, target key): what a supervisor's screens and Prometheus ask."""
    last = clock.astimezone(clock.tzinfo).date()
    first = last - timedelta(days=29)
    span = f"from={first.isoformat()}&to={last.isoformat()}"
    return [
        ("dashboard", "GET /dashboard (wall screen page)", "/dashboard", "board"),
        ("board", "GET /dashboard/board (refresh)", "/dashboard/board", "board"),
        ("figures", "GET /dashboard/figures (default 30 days)", "/dashboard/figures", "figures"),
        (
            "figures_queue",
            f"GET /dashboard/figures 30 days, queue {queue_code}",
            f"/dashboard/figures?{span}&queue={queue_code}",
            "figures",
        ),
        ("api_queues", "GET /api/v1/stats/queues 30 days", f"/api/v1/stats/queues?{span}", None),
        ("api_agents", "GET /api/v1/stats/agents 30 days", f"/api/v1/stats/agents?{span}", None),
        ("metrics", "GET /metrics", "/metrics", "metrics"),
    ]


def time_url(s: requests.Session, url: str, warmup: int, n: int, budget: float) -> dict:
    t0 = time.perf_counter()
    first = s.get(url, timeout=60)
    took = time.perf_counter() - t0
    if first.status_code == 404:
        return {"skipped": "404: not written yet"}
    if first.status_code != 200:
        return {"skipped": f"HTTP {first.status_code}", "body": first.text[:500]}
    for _ in range(max(0, warmup - 1)):
        s.get(url, timeout=60)
    # a slow page gets fewer requests (at least 20) so one URL cannot take the whole run
    n = min(n, max(20, int(budget / max(took, 0.001))))
    values, sizes = [], set()
    for _ in range(n):
        t0 = time.perf_counter()
        r = s.get(url, timeout=60)
        values.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            return {"skipped": f"HTTP {r.status_code} during the run", "body": r.text[:500]}
        sizes.add(len(r.content))
    # the first request computes what is not stored yet (a figures snapshot, snapshots.py)
    return {**summary(values), "bytes": max(sizes), "first_ms": round(took * 1000, 1)}


def bench_http(base: str, seeded, token: str, clock: datetime, queue_code: str, args) -> dict:
    web = sign_in(base, seeded.supervisor_email)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    out = {}
    for key, label, path, target in urls(clock, queue_code):
        if args.only and key not in args.only.split(","):
            continue
        log.info("timing %s", label)
        client = api if path.startswith("/api/") else web
        out[key] = {
            "label": label,
            "target": target,
            **time_url(client, base + path, 5, args.n, args.budget),
        }
    return out


def environment(tmp: Path, redis_url: str, clock: ClockFile, port: int) -> dict[str, str]:
    (tmp / "instance").mkdir(exist_ok=True)
    (tmp / "prometheus").mkdir(exist_ok=True)
    return child_env(
        {
            "DATABASE_URL": stack.pg_url(DB_NAME),
            "CELERY_BROKER_URL": redis_url,
            "REDIS_URL": redis_url,
            "WHATSAPP_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "c0ffee" * 5 + "00",
            "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef",
            # production refuses a rehearsal clock (config.py); nothing else reads the mode
            "PANDAWA_ENV": "test",
            "PANDAWA_CLOCK": clock.setting,
            "PANDAWA_INSTANCE_PATH": str(tmp / "instance"),
            # several workers: /metrics must sum them (prometheus_client multiprocess mode)
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prometheus"),
            "LOG_LEVEL": "WARNING",
            "GUNICORN_CMD_ARGS": "--worker-class gthread --threads 32 --timeout 30 --keep-alive 5",
        }
    )


def write_catalog(path: Path) -> Path:
    catalog = REPO / "pandawa" / "catalog"
    doc = bench_catalog(
        yaml.safe_load((catalog / "examples" / "multi-office.yaml").read_text()),
        yaml.safe_load((catalog / "default.yaml").read_text()),
    )
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--tickets", type=int, default=1_000_000, help="tickets seeded (1,000,000)")
    p.add_argument("-n", "--requests", dest="n", type=int, default=100, help="GETs per URL")
    p.add_argument(
        "--budget", type=float, default=120, help="seconds per URL: fewer GETs when slow (120)"
    )
    p.add_argument("--repeat", type=int, default=5, help="in-process calls per function (5)")
    p.add_argument("--clock", default=CLOCK, help=f"the instant 'now' ({CLOCK})")
    p.add_argument("--keep", action="store_true", help=f"keep the database {DB_NAME}")
    p.add_argument("--reuse", action="store_true", help="use the kept database, do not seed")
    p.add_argument("--only", help="comma-separated URL keys, e.g. board,figures,metrics")
    p.add_argument("--no-http", action="store_true", help="seed and profile only")
    p.add_argument("--no-profile", action="store_true", help="skip the in-process timings")
    p.add_argument("--explain", type=int, default=6, help="slowest statements to EXPLAIN (6)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    OUT_DIR.mkdir(exist_ok=True)
    at = datetime.fromisoformat(args.clock)
    result: dict = {"clock": args.clock, "requests": args.n}
    with contextlib.ExitStack() as exits:
        tmp = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="dashboard-bench-")))
        redis_db = stack.claim_redis_db()
        exits.callback(redis_db.release)
        clock = ClockFile(tmp / "clock")
        clock.set(at)
        port = stack.free_port()
        base = f"http://127.0.0.1:{port}"
        env = environment(tmp, redis_db.url, clock, port)
        exists = bool(
            stack.query("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        )
        if args.reuse and not exists:
            raise stack.BenchError(f"--reuse: no database {DB_NAME}; run once with --keep")
        if not args.keep:  # also after --reuse: keep it only when asked to
            exits.callback(stack.drop_database, DB_NAME)
        os.environ.update({k: v for k, v in env.items() if k != "GUNICORN_CMD_ARGS"})
        from pandawa.accounts.passwords import hash_password

        dsn = stack.pg_url(DB_NAME)
        if not args.reuse:
            stack.recreate_database(DB_NAME)
            stack.run([str(VENV_BIN / "pandawa"), "db", "upgrade"], env, REPO)
            catalog = write_catalog(tmp / "bench-catalog.yaml")
            stack.run([str(VENV_BIN / "pandawa"), "catalog", "load", str(catalog)], env, REPO)
            log.info("seeding %s tickets", args.tickets)
            seeded = seed(dsn, args.tickets, hash_password(PASSWORD), at)
            result["seed"] = {k: v for k, v in vars(seeded).items() if k != "agent_emails"}
            result["seed"]["seconds"] = round(seeded.seconds, 1)
            log.info("seeded in %.0fs: %s", seeded.seconds, seeded.steps)
        else:
            seeded = _kept(dsn)
        result["shape"] = describe(dsn, at)
        from pandawa.accounts.models import User
        from pandawa.accounts.operations import create_token
        from pandawa.app import create_app
        from pandawa.core.extensions import db

        app = create_app()
        quiet()
        with app.app_context():
            import sqlalchemy as sa

            sup = db.session.scalar(sa.select(User).where(User.email == seeded.supervisor_email))
            token = create_token(db.session, sup, "bench")
            db.session.commit()
            queue_code = db.session.scalar(sa.text("SELECT code FROM queue ORDER BY id LIMIT 1"))
        if not args.no_http:
            server = stack.start_gunicorn(
                "pandawa",
                VENV_BIN / "gunicorn",
                "pandawa.wsgi:app",
                port,
                2,
                env,
                REPO,
                tmp / "gunicorn.log",
                "/healthz",
            )
            exits.callback(server.stop)
            result["http"] = bench_http(base, seeded, token, at, queue_code, args)
            result["server_log_tail"] = server.log_tail(30)
        if not args.no_profile:
            log.info("in-process timings")
            result["functions"] = profile_functions(app, seeded.supervisor_email, queue_code, args)
        with app.app_context():
            db.engine.dispose()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = OUT_DIR / f"dashboard-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print_report(result, out)
    return 0


def _kept(dsn: str):
    from dashboard_seed import Seeded

    rows = stack.query(DB_NAME, "SELECT email, role FROM user_account ORDER BY id")
    seeded = Seeded()
    seeded.supervisor_email = next(e for e, r in rows if r == "supervisor")
    seeded.tickets = stack.query(DB_NAME, "SELECT count(*) FROM ticket")[0][0]
    seeded.messages = stack.query(DB_NAME, "SELECT count(*) FROM message")[0][0]
    return seeded


def quiet() -> None:
    for name in ("pandawa", ""):
        logging.getLogger(name).setLevel(logging.WARNING)
    log.setLevel(logging.INFO)


def verdict(s: dict, target: str | None) -> str:
    if target is None:
        return ""
    limit = TARGETS[target]
    met = s["p50"] < limit
    return f"p50 < {limit:g}: {'met' if met else '**NOT met**'}"


def print_report(result: dict, out: Path) -> None:
    seedinfo = result.get("seed", {})
    shape = result["shape"]
    print(
        f"\n## Dashboard bench: {seedinfo.get('tickets', '(kept db)')} tickets, "
        f"{seedinfo.get('messages', '')} messages; clock {result['clock']}"
    )
    if seedinfo:
        print(
            f"seeded in {seedinfo['seconds']}s ({seedinfo['steps']}); "
            f"statuses {seedinfo['statuses']}"
        )
    print(f"shape: {shape}\n")
    if "http" in result:
        print(
            "| request (5 warm-up, then n sequential) | first ms | n | p50 ms | p90 ms | p99 ms | "
            "max ms | bytes | target |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for item in result["http"].values():
            if "skipped" in item:
                print(
                    f"| {item['label']} | — | — | — | — | — | — | — | skipped: {item['skipped']} |"
                )
                continue
            print(
                f"| {item['label']} | {item.get('first_ms', '')} | {item['n']} | {item['p50']} | "
                f"{item['p90']} | "
                f"{item['p99']} | {item['max']} | {item['bytes']} | "
                f"{verdict(item, item['target'])} |"
            )
    if "functions" in result:
        print_functions(result["functions"])
    print(f"\nsaved {out}")


# -- in-process: every figures function, its statements, the slowest EXPLAINed ---------------


def _calls(session, user, scope, scope_q) -> list[tuple[str, object]]:
    from pandawa.dashboard import drilldown
    from pandawa.reports import board, figures, series, snapshots

    f = figures
    return [
        ("board.board", lambda: board.board(session, user)),
        ("figures(by=queue)", lambda: f.figures(session, user, scope, "queue")),
        ("figures(by=agent)", lambda: f.figures(session, user, scope, "agent")),
        ("figures(by=all)", lambda: f.figures(session, user, scope, "all")),
        ("figures(by=queue), one queue", lambda: f.figures(session, user, scope_q, "queue")),
        ("volume_by_hour", lambda: series.volume_by_hour(session, user, scope)),
        ("volume_by_weekday", lambda: series.volume_by_weekday(session, user, scope)),
        ("wait_distribution", lambda: series.wait_distribution(session, user, scope)),
        ("sla_by_day", lambda: series.sla_by_day(session, user, scope)),
        ("carryover", lambda: series.carryover(session, user, scope)),
        (
            "drilldown.ticket_rows (first page)",
            lambda: drilldown.ticket_rows(session, user, scope, drilldown.Drill(), cursor=None),
        ),
        ("board.live_queues (/metrics, /api/v1/stats/queues)", lambda: _live(board, session)),
        (
            "snapshots.compute (a whole figures page)",
            lambda: snapshots.compute(session, user, scope),
        ),
        (
            "snapshots.refresh_standard (the beat's run)",
            lambda: snapshots.refresh_standard(session),
        ),
    ]


def _live(board, session):
    from pandawa.core.clock import now

    return board.live_queues(session, None, now())


def profile_functions(app, email: str, queue_code: str, args) -> dict:
    import sqlalchemy as sa

    from pandawa.accounts.models import User
    from pandawa.core.extensions import db
    from pandawa.reports.scope import scope_from_args

    captured: list[list] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        captured.append([statement, parameters, time.perf_counter()])

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        captured[-1][2] = (time.perf_counter() - captured[-1][2]) * 1000

    out: dict = {"functions": [], "statements": []}
    with app.app_context():
        engine = db.engine
        user = db.session.scalar(sa.select(User).where(User.email == email))
        scope = scope_from_args(db.session, user, {})
        scope_q = scope_from_args(db.session, user, {"queue": queue_code})
        out["scope"] = f"{scope.first_day} .. {scope.last_day} ({scope.timezone})"
        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        slow: dict[str, list] = {}
        try:
            for name, call in _calls(db.session, user, scope, scope_q):
                times, row = [], {"name": name}
                try:
                    for i in range(args.repeat + 1):  # the first call warms caches, not counted
                        captured.clear()
                        t0 = time.perf_counter()
                        call()
                        ms = (time.perf_counter() - t0) * 1000
                        db.session.rollback()
                        if i:
                            times.append(ms)
                except Exception as exc:  # another helper's code may not be there yet
                    db.session.rollback()
                    row["error"] = f"{type(exc).__name__}: {exc}"[:300]
                    out["functions"].append(row)
                    continue
                stmts = [c for c in captured if isinstance(c[2], float)]
                row.update(summary(times))
                row["statements"] = len(stmts)
                row["sql_ms"] = round(sum(c[2] for c in stmts), 1)
                out["functions"].append(row)
                for statement, params, ms in stmts:
                    key = " ".join(statement.split())
                    # the fastest of the runs: one statement's own cost, not the host's noise
                    if key not in slow or ms < slow[key][2]:
                        slow[key] = [statement, params, ms, name]
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
            sa.event.remove(engine, "after_cursor_execute", after)
        top = sorted(slow.values(), key=lambda s: -s[2])[: args.explain]
        for statement, params, ms, name in top:
            item = {"function": name, "ms": round(ms, 1), "sql": statement}
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                with engine.connect() as conn:
                    rows = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, params
                    ).fetchall()
                    conn.rollback()
                item["plan"] = [r[0] for r in rows]
            out["statements"].append(item)
    return out


def plan_lines(lines: list[str]) -> list[str]:
    keep = ("Scan", "Sort", "Aggregate", "Join", "Loop", "Execution", "Planning", "JIT", "Timing")
    return [line for line in lines if any(k in line for k in keep)]


def print_functions(res: dict) -> None:
    print(f"\n### In-process, scope {res.get('scope')}: each function, median of the runs\n")
    print("| function | p50 ms | max ms | statements | in SQL ms (last run) |")
    print("|---|---|---|---|---|")
    for row in res["functions"]:
        if "error" in row:
            print(f"| {row['name']} | — | — | — | error: {row['error'][:120]} |")
        else:
            print(
                f"| {row['name']} | {row['p50']} | {row['max']} | {row['statements']} | "
                f"{row['sql_ms']} |"
            )
    for item in res["statements"]:
        sql = " ".join(item["sql"].split())
        print(f"\n#### {item['ms']} ms in {item['function']}\n    {sql[:400]}")
        for line in plan_lines(item.get("plan", [])):
            print("    " + line)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except stack.BenchError as exc:
        log.error("%s", exc)
        sys.exit(2)
