"""Console bench: the work view, the ticket view and claim-next with 100,000 tickets.

    .venv/bin/python bench/console.py                 # 100k tickets (seeding ~1-2 minutes)
    .venv/bin/python bench/console.py --tickets 20000 # smaller

Fresh database, `pandawa db upgrade`, catalogue, COPY seed (bench/console_seed.py), gunicorn as
the Procfile runs it (gthread, 2 workers x 32 threads, production settings) on 127.0.0.1; then
sequential page loads; 20 agents claiming at once over the API and from the console's button
(bench/claimers.py), again with every agent's live stream open, and from 1 to 20 agents; the
claim statement alone on 20 connections; the claim in-process; and EXPLAIN plans.
Everything started is stopped, the database dropped and the Redis db flushed, on error too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import claimers
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


class BehindTls(requests.Session):
    """Sends the Secure cookies over the bench's plain http, as the TLS proxy in front of
    gunicorn would (a policy on the jar would not do: requests copies it for each request)."""

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def sign_in(base: str, email: str) -> requests.Session:
    s = BehindTls()
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


def _reset_numbers(numbers: list[str]) -> None:
    if numbers:
        rows = stack.query(DB_NAME, "SELECT id FROM ticket WHERE number = ANY(%s)", (numbers,))
        _reset("", [r[0] for r in rows])


def claim_summary(run: dict) -> dict:
    return {**summary(run.pop("latencies")), **run}


def console_agents(base: str, sessions: list[requests.Session]) -> list[claimers.Agent]:
    host = base.removeprefix("http://")
    agents = []
    for s in sessions:
        page = s.get(f"{base}/console", timeout=10)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if page.status_code != 200 or not match:
            raise stack.BenchError(f"GET /console: {page.status_code}, no csrf_token")
        cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
        agents.append(claimers.console_agent(host, cookie, match.group(1), s.headers["User-Agent"]))
    return agents


@contextlib.contextmanager
def open_streams(base: str, sessions: list[requests.Session]):
    """Every agent's console open: one live stream (`GET /console/events`) each on a raw
    socket, read by a thread until the block ends (shutting a socket down is what wakes its
    reader; closing a `requests` stream from another thread waits for its next chunk); yields
    the status each stream was answered with."""
    host = base.removeprefix("http://")
    address, port = host.rsplit(":", 1)
    statuses: list[int] = []
    sockets: list[socket.socket] = []
    lock = threading.Lock()

    def hold(s: requests.Session) -> None:
        cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
        request = (
            f"GET /console/events HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
            f"User-Agent: {s.headers['User-Agent']}\r\nAccept: text/event-stream\r\n\r\n"
        )
        try:
            sock = socket.create_connection((address, int(port)), timeout=10)
            sock.sendall(request.encode())
            first = sock.recv(65536)
            with lock:
                statuses.append(int(first.split(b" ", 2)[1]))
                sockets.append(sock)
            sock.settimeout(None)
            while sock.recv(65536):
                pass
        except (OSError, ValueError, IndexError):
            pass  # shut down by the main thread at the end

    threads = [threading.Thread(target=hold, args=(s,), daemon=True) for s in sessions]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 15
    while len(statuses) < len(sessions) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield statuses
    finally:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for t in threads:
            t.join(timeout=5)


def bench_claim_sql(app, user_ids: list[int], rounds: int) -> dict:
    """The claim statement alone (`_CLAIM_SQL` + COMMIT) on one psycopg connection per agent,
    all agents at once per round: what the database side of claim-next costs under 20
    concurrent claimers, without Python's GIL in the way (psycopg releases it while waiting)."""
    import psycopg

    from pandawa.core.clock import now
    from pandawa.tickets.claims import _CLAIM_SQL

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
    from pandawa.core.extensions import db
    from pandawa.tickets.claims import claim_next

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
    from pandawa.core.extensions import db
    from pandawa.reports.board import queue_counts
    from pandawa.tickets.claims import claim_next
    from pandawa.tickets.queries import visible_queues_clause

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
            queue_counts(db.session, visible_queues_clause(user))
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
    p.add_argument("--threads", type=int, default=32, help="threads per worker (32, the Procfile)")
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
                # production wants https; the bench talks plain http to gunicorn as the
                # TLS-terminating proxy would (its sessions send the Secure cookies anyway)
                "PUBLIC_BASE_URL": "https://pandawa.bench.invalid",
                "METRICS_TOKEN": "bench-metrics-token",
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
        from pandawa.accounts.models import User
        from pandawa.accounts.operations import create_token
        from pandawa.accounts.passwords import hash_password
        from pandawa.app import create_app
        from pandawa.core.extensions import db

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
        api = [claimers.api_agent(f"127.0.0.1:{port}", t) for t in tokens]
        sessions = [sign_in(base, email) for email in seeded.agent_emails]
        console = console_agents(base, sessions)

        def claims(agents: list, rounds: int, per: int) -> dict:
            run = claimers.claim_rounds(port, agents, rounds, per, _reset_numbers)
            return claim_summary(run)

        claims(api, 2, 1)  # warm-up: every agent's connection and token
        # "20 agents claiming at once", read literally: each presses claim once, all together
        result["claim_http_burst"] = claims(api, args.rounds * 3, 1)
        result["claim_console_burst"] = claims(console, args.rounds * 3, 1)
        result["claim_http"] = claims(api, args.rounds, args.per)
        result["claim_http_single"] = claims(api[:1], 20, 5)
        result["claim_http_scaling"] = {
            k: claims(api[:k], max(10, 300 // k), 1) for k in (1, 2, 5, 10, 20)
        }
        # as it is at work: every agent's console open, holding its live stream
        with open_streams(base, sessions) as streams:
            result["streams_open"] = {str(code): streams.count(code) for code in set(streams)}
            result["claim_http_burst_streams"] = claims(api, args.rounds * 3, 1)
            result["claim_console_burst_streams"] = claims(console, args.rounds * 3, 1)
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
        ("POST /api/v1/tickets/claim, 20 agents x 1 together", result["claim_http_burst"], "< 20"),
        ("POST /console/claim, 20 agents x 1 together", result["claim_console_burst"], "< 20"),
        (
            "POST /api/v1/tickets/claim, 20 together, 20 live streams open",
            result["claim_http_burst_streams"],
            "< 20",
        ),
        (
            "POST /console/claim, 20 together, 20 live streams open",
            result["claim_console_burst_streams"],
            "< 20",
        ),
        ("POST /api/v1/tickets/claim, 20 agents x 3 in a row", result["claim_http"], ""),
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
    print("\nPOST /api/v1/tickets/claim by how many agents press claim at the same instant:\n")
    print("| agents at once | n | p50 ms | p90 ms | claims/s |")
    print("|---|---|---|---|---|")
    for k, s in result["claim_http_scaling"].items():
        print(f"| {k} | {s['n']} | {s['p50']} | {s['p90']} | {s['per_second']} |")
    http_runs = [
        result[key]
        for key in (
            "claim_http_burst",
            "claim_console_burst",
            "claim_http_burst_streams",
            "claim_console_burst_streams",
            "claim_http",
            "claim_http_single",
        )
    ] + list(result["claim_http_scaling"].values())
    print(
        f"\nlive streams answered while claiming: {result['streams_open']}; "
        f"over HTTP: duplicates {sum(r['duplicates'] for r in http_runs)}, "
        f"errors {sum(r['errors'] for r in http_runs)}, "
        f"nothing waiting {sum(r['empty'] for r in http_runs)}; "
        f"claim statement duplicates {result['claim_sql_only']['duplicates']}; "
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
