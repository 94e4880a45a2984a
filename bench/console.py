"""Console bench: the work view, the ticket view and claim-next with 100,000 tickets.

    .venv/bin/python bench/console.py                 # 100k tickets (seeding ~1-2 minutes)
    .venv/bin/python bench/console.py --tickets 20000 # smaller

Fresh database, `pandawa db upgrade`, catalogue, COPY seed (bench/console_seed.py), gunicorn as
the Procfile runs it (gthread, 2 workers x 8 threads, production settings) on 127.0.0.1; then
sequential page loads, 20 concurrent claimers, the claim alone in-process, and EXPLAIN plans.
Everything started is stopped, the database dropped and the Redis db flushed, on error too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import stack
from console_seed import PASSWORD, seed
from sides import REPO, VENV_BIN, child_env, load_catalog

log = logging.getLogger("bench")
OUT_DIR = Path(__file__).resolve().parent / "out"
DB_NAME = "pandawa_bench_console"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 2)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": pct(values, 0.5),
        "p90": pct(values, 0.9),
        "p99": pct(values, 0.99),
        "max": round(max(values), 2) if values else None,
    }


def sign_in(base: str, email: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=10)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if not match:
        raise stack.BenchError("no csrf_token on /login")
    done = s.post(
        f"{base}/login",
        data={"csrf_token": match.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    if done.status_code != 302:
        raise stack.BenchError(f"sign-in of {email} failed: {done.status_code}")
    return s


def timed_gets(s: requests.Session, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        t0 = time.perf_counter()
        r = s.get(url, timeout=30)
        ms = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise stack.BenchError(f"GET {url}: {r.status_code}")
        out.append(ms)
    return out


def bench_pages(base: str, seeded, args) -> dict:
    agent = sign_in(base, seeded.agent_emails[0])
    sup = sign_in(base, seeded.supervisor_email)
    work = f"{base}/console"
    timed_gets(agent, [work] * 20)  # warm-up (presence write, caches, connections)
    timed_gets(sup, [work] * 20)
    res = {
        "work_agent": summary(timed_gets(agent, [work] * args.requests)),
        "work_supervisor": summary(timed_gets(sup, [work] * args.requests)),
    }
    numbers = seeded.view_numbers
    half = len(numbers) // 2
    timed_gets(sup, [f"{base}/console/tickets/{n}" for n in numbers[:10]])
    res["ticket_supervisor"] = summary(
        timed_gets(sup, [f"{base}/console/tickets/{n}" for n in numbers[:half]])
    )
    res["ticket_agent"] = summary(
        timed_gets(agent, [f"{base}/console/tickets/{n}" for n in numbers[half:]])
    )
    return res


def _reset(dsn: str, ids: list[int]) -> None:
    if ids:
        stack.query(
            DB_NAME,
            "UPDATE ticket SET status = 'waiting', assignee_id = NULL, assigned_at = NULL "
            "WHERE id = ANY(%s) RETURNING id",
            (ids,),
        )


def bench_claim_http(base: str, tokens: list[str], rounds: int, per: int) -> dict:
    latencies: list[float] = []
    duplicates = errors = empty = 0
    busy = 0.0  # wall time of the rounds: claims per second = claims / busy
    for _ in range(rounds):
        barrier = threading.Barrier(len(tokens))
        got: list[tuple[str, float]] = []
        lock = threading.Lock()

        def claimer(token: str, barrier=barrier, lock=lock, got=got) -> None:
            nonlocal errors, empty
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
            barrier.wait()
            for _ in range(per):
                t0 = time.perf_counter()
                r = s.post(f"{base}/api/v1/tickets/claim", timeout=30)
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    if r.status_code == 200:
                        got.append((r.json()["number"], ms))
                    elif r.status_code == 204:
                        empty += 1
                    else:
                        errors += 1

        threads = [threading.Thread(target=claimer, args=(t,)) for t in tokens]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        busy += time.perf_counter() - started
        numbers = [n for n, _ in got]
        duplicates += len(numbers) - len(set(numbers))
        latencies += [ms for _, ms in got]
        rows = stack.query(DB_NAME, "SELECT id FROM ticket WHERE number = ANY(%s)", (numbers,))
        _reset("", [r[0] for r in rows])
    return {
        **summary(latencies),
        "duplicates": duplicates,
        "errors": errors,
        "empty": empty,
        "per_second": round(len(latencies) / busy, 1) if busy else None,
    }


def bench_claim_sql(app, user_ids: list[int], rounds: int) -> dict:
    """The claim statement alone (`_CLAIM_SQL` + COMMIT) on one psycopg connection per agent,
    all agents at once per round: what the database side of claim-next costs under 20
    concurrent claimers, without Python's GIL in the way (psycopg releases it while waiting)."""
    import psycopg

    from pandawa.clock import now
    from pandawa.tickets.operations import _CLAIM_SQL

    sql = str(_CLAIM_SQL.compile(dialect=_pg_dialect()))
    dsn = stack.pg_url(DB_NAME).replace("postgresql+psycopg://", "postgresql://")
    conns = [psycopg.connect(dsn) for _ in user_ids]
    latencies: list[float] = []
    claimed: list[int] = []
    lock = threading.Lock()
    try:
        for _ in range(rounds):
            barrier = threading.Barrier(len(user_ids))

            def claimer(conn, user_id: int, barrier=barrier) -> None:
                barrier.wait()
                t0 = time.perf_counter()
                row = conn.execute(sql, {"user_id": user_id, "at": now(), "data": "{}"}).fetchone()
                conn.commit()
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(ms)
                    if row:
                        claimed.append(row[0])

            threads = [
                threading.Thread(target=claimer, args=(c, u))
                for c, u in zip(conns, user_ids, strict=True)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        duplicates = len(claimed) - len(set(claimed))
        _reset("", claimed)
    finally:
        for c in conns:
            c.close()
    return {**summary(latencies), "duplicates": duplicates}


def _pg_dialect():
    from sqlalchemy.dialects import postgresql

    return postgresql.psycopg.dialect()


def bench_claim_inprocess(app, user_ids: list[int], rounds: int, per: int) -> dict:
    """claim_next + COMMIT timed in threads of this process; `db` is the part of each claim
    spent in PostgreSQL round trips (cursor executes and the COMMIT), the rest is Python."""
    import sqlalchemy as sa

    from pandawa.accounts.models import User
    from pandawa.extensions import db
    from pandawa.tickets.operations import claim_next

    local = threading.local()

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        local.t0 = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        local.db = getattr(local, "db", 0.0) + time.perf_counter() - local.t0

    latencies: list[float] = []
    db_ms: list[float] = []
    duplicates = 0
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        for _ in range(rounds):
            barrier = threading.Barrier(len(user_ids))
            got: list[tuple[int, float, float]] = []
            lock = threading.Lock()

            def claimer(user_id: int, barrier=barrier, lock=lock, got=got) -> None:
                with app.app_context():
                    user = db.session.get(User, user_id)
                    db.session.commit()
                    barrier.wait()
                    # measured: pool checkout, SELECT … SKIP LOCKED, UPDATE, event, COMMIT
                    for _ in range(per):
                        local.db = 0.0
                        t0 = time.perf_counter()
                        ticket = claim_next(db.session, user)
                        c0 = time.perf_counter()
                        db.session.commit()
                        t1 = time.perf_counter()
                        in_db = (local.db + t1 - c0) * 1000
                        if ticket is not None:
                            with lock:
                                got.append((ticket.id, (t1 - t0) * 1000, in_db))
                    db.session.remove()

            threads = [threading.Thread(target=claimer, args=(u,)) for u in user_ids]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if not got:
                raise stack.BenchError("in-process claimers claimed nothing (see tracebacks)")
            ids = [i for i, _, _ in got]
            duplicates += len(ids) - len(set(ids))
            latencies += [ms for _, ms, _ in got]
            db_ms += [d for _, _, d in got]
            _reset("", ids)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    return {**summary(latencies), "duplicates": duplicates, "db": summary(db_ms)}


def explain(app, agent_id: int) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT the work view and claim run, as the app
    sends them (captured with their parameters); the claim one in a rolled-back transaction."""
    import sqlalchemy as sa

    from pandawa.accounts.models import User
    from pandawa.console.queries import work_page
    from pandawa.extensions import db
    from pandawa.tickets import queries
    from pandawa.tickets.operations import claim_next

    plans: dict[str, list[str]] = {}
    with app.app_context():
        captured: list[tuple[str, object]] = []

        def grab(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, parameters))

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", grab)
        try:
            user = db.session.get(User, agent_id)
            captured.clear()
            work_page(db.session, user)
            work = [c for c in captured if "LATERAL" in c[0]]
            captured.clear()
            queries.queue_loads(user)
            loads = list(captured)
            captured.clear()
            claim_next(db.session, user)
            claim = [c for c in captured if "SKIP LOCKED" in c[0]]
            db.session.rollback()
        finally:
            sa.event.remove(engine, "before_cursor_execute", grab)
        for name, items in (("work_list", work), ("queue_loads", loads), ("claim", claim)):
            for n, (statement, params) in enumerate(items):
                with engine.connect() as conn:
                    rows = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, params
                    ).fetchall()
                    conn.rollback()
                plans[f"{name}{'' if n == 0 else n}"] = [r[0] for r in rows]
    return plans


def plan_lines(lines: list[str]) -> list[str]:
    keep = ("Scan", "Execution Time", "Sort Method", "Planning Time")
    return [line for line in lines if any(k in line for k in keep)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=200, help="work-view GETs per user (200)")
    p.add_argument("--rounds", type=int, default=10, help="claim rounds (10)")
    p.add_argument("--per", type=int, default=3, help="claims per agent per round (3)")
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (2, the Procfile)")
    p.add_argument("--threads", type=int, default=8, help="threads per worker (8, the Procfile)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    OUT_DIR.mkdir(exist_ok=True)
    result: dict = {"tickets": args.tickets}
    with contextlib.ExitStack() as exits:
        tmp = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="console-bench-")))
        redis_db = stack.claim_redis_db()
        exits.callback(redis_db.release)
        stack.recreate_database(DB_NAME)
        exits.callback(stack.drop_database, DB_NAME)
        port = stack.free_port()
        base = f"http://127.0.0.1:{port}"
        (tmp / "instance").mkdir()
        env = child_env(
            {
                "DATABASE_URL": stack.pg_url(DB_NAME),
                "CELERY_BROKER_URL": redis_db.url,
                "REDIS_URL": redis_db.url,
                "WHATSAPP_PROVIDER": "twilio",
                "TWILIO_ACCOUNT_SID": "AC" + "c0ffee" * 5 + "00",
                "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
                "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
                "PUBLIC_BASE_URL": base,
                "SECRET_KEY": "bench-secret-key-0123456789abcdef",
                "PANDAWA_ENV": "production",
                "PANDAWA_INSTANCE_PATH": str(tmp / "instance"),
                "GUNICORN_CMD_ARGS": f"--worker-class gthread --threads {args.threads} "
                "--timeout 30 --keep-alive 5",
            }
        )
        stack.run([str(VENV_BIN / "pandawa"), "db", "upgrade"], env, REPO)
        load_catalog(env)
        # the same settings in this process: in-process claim timing, tokens, EXPLAIN
        os.environ.update({k: v for k, v in env.items() if k != "GUNICORN_CMD_ARGS"})
        from pandawa import create_app
        from pandawa.accounts.models import User
        from pandawa.accounts.operations import create_token
        from pandawa.accounts.passwords import hash_password
        from pandawa.extensions import db

        log.info("seeding %s tickets", args.tickets)
        seeded = seed(stack.pg_url(DB_NAME), args.tickets, hash_password(PASSWORD))
        log.info(
            "seeded %s tickets, %s messages in %.0fs",
            seeded.tickets,
            seeded.messages,
            seeded.seconds,
        )
        result["seed"] = {
            "tickets": seeded.tickets,
            "messages": seeded.messages,
            "statuses": seeded.statuses,
            "seconds": round(seeded.seconds, 1),
        }
        app = create_app()
        quiet()
        with app.app_context():
            agents = list(db.session.scalars(sa_select_agents(User)))
            tokens = [create_token(db.session, u, "bench") for u in agents]
            agent_ids = [u.id for u in agents]
            db.session.commit()
        server = stack.start_gunicorn(
            "pandawa",
            VENV_BIN / "gunicorn",
            "pandawa.wsgi:app",
            port,
            args.web_workers,
            env,
            REPO,
            tmp / "gunicorn.log",
            "/healthz",
        )
        exits.callback(server.stop)
        log.info("pages")
        result["pages"] = bench_pages(base, seeded, args)
        log.info("claim over HTTP")
        result["claim_http"] = bench_claim_http(base, tokens, args.rounds, args.per)
        result["claim_http_single"] = bench_claim_http(base, tokens[:1], 20, 5)
        # "20 agents claiming at once" read literally: each presses claim once, all together
        result["claim_http_burst"] = bench_claim_http(base, tokens, args.rounds * 3, 1)
        result["claim_sql_only"] = bench_claim_sql(app, agent_ids, args.rounds * 3)
        log.info("claim in-process")
        # as deployed (pool 5 + overflow 10 per process: 20 threads churn overflow connections)
        result["claim_sql"] = bench_claim_inprocess(app, agent_ids, args.rounds, args.per)
        # the SQL alone: a pool with a connection for every thread
        wide = create_app(engine_options={"pool_size": 25, "max_overflow": 0})
        quiet()
        result["claim_sql_pool25"] = bench_claim_inprocess(wide, agent_ids, args.rounds, args.per)
        # service time without contention: one claimer, one at a time
        result["claim_sql_single"] = bench_claim_inprocess(wide, agent_ids[:1], 20, 5)
        with wide.app_context():
            db.engine.dispose()
        result["plans"] = explain(app, agent_ids[0])
        with app.app_context():
            db.engine.dispose()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = OUT_DIR / f"console-{stamp}.json"
    out.write_text(json.dumps(result, indent=2))
    print_report(result, out)
    return 0


def quiet() -> None:
    # the app's own INFO lines (one per claim) would drown the report
    for name in ("pandawa", ""):
        logging.getLogger(name).setLevel(logging.WARNING)
    log.setLevel(logging.INFO)


def sa_select_agents(user_model):
    import sqlalchemy as sa

    return sa.select(user_model).where(user_model.role == "agent").order_by(user_model.id)


def print_report(result: dict, out: Path) -> None:
    seedinfo = result["seed"]
    print(f"\n## Console bench: {seedinfo['tickets']} tickets, {seedinfo['messages']} messages")
    print(f"statuses: {seedinfo['statuses']}; seeded in {seedinfo['seconds']}s\n")
    print("| measurement | n | p50 ms | p90 ms | p99 ms | max ms | target |")
    print("|---|---|---|---|---|---|---|")
    rows = [
        ("GET /console (agent, 5 queues)", result["pages"]["work_agent"], "p50 < 100"),
        ("GET /console (supervisor)", result["pages"]["work_supervisor"], "p50 < 100"),
        (
            "GET /console/tickets/<n> (supervisor)",
            result["pages"]["ticket_supervisor"],
            "p50 < 100",
        ),
        ("GET /console/tickets/<n> (agent)", result["pages"]["ticket_agent"], "p50 < 100"),
        ("POST /api/v1/tickets/claim, 20 agents x 3 in a row", result["claim_http"], "< 20"),
        ("POST /api/v1/tickets/claim, 20 agents x 1 together", result["claim_http_burst"], "< 20"),
        ("claim statement + COMMIT, 20 connections together", result["claim_sql_only"], "< 20"),
        ("claim_next + commit in-process, 20 threads", result["claim_sql"], "< 20"),
        ("same, pool_size 25", result["claim_sql_pool25"], "< 20"),
        ("  of which PostgreSQL round trips", result["claim_sql_pool25"]["db"], ""),
        ("POST claim, one agent alone (service time)", result["claim_http_single"], ""),
        ("claim_next in-process, one thread alone", result["claim_sql_single"], ""),
        ("  of which PostgreSQL round trips", result["claim_sql_single"]["db"], ""),
    ]
    for name, s, target in rows:
        print(
            f"| {name} | {s['n']} | {s['p50']} | {s['p90']} | {s['p99']} | {s['max']} | {target} |"
        )
    print(
        f"\nclaims per second over HTTP: 20 agents {result['claim_http']['per_second']}, "
        f"one agent {result['claim_http_single']['per_second']}"
    )
    print(
        f"\nclaims: HTTP duplicates {result['claim_http']['duplicates']}, "
        f"burst {result['claim_http_burst']['duplicates']}, "
        f"SQL {result['claim_sql_only']['duplicates']}, "
        f"errors {result['claim_http']['errors']}, empty (204) {result['claim_http']['empty']}; "
        f"in-process duplicates {result['claim_sql']['duplicates']}, "
        f"{result['claim_sql_pool25']['duplicates']}"
    )
    for name, lines in result["plans"].items():
        print(f"\n### EXPLAIN {name}")
        for line in plan_lines(lines):
            print("    " + line)
    print(f"\nsaved {out}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except stack.BenchError as exc:
        log.error("%s", exc)
        sys.exit(2)
