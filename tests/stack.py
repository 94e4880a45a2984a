"""The real stack as deployed, shared by the e2e and browser tests: gunicorn (2 sync workers)
and a Celery worker process (prefork, 2 processes) against a database of its own, seeded with
the default catalogue, and the run's Redis db; only Twilio's REST API is the local fake. And
what a test does with it: a citizen's signed messages, an agent with a token, a ticket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from pandawa.app import create_app
from pandawa.core.clock import FileClock
from pandawa.core.extensions import db
from pandawa.core.migrations import upgrade
from pandawa.tickets.models import Ticket
from tests import harness
from tests.harness import app_environ, signed_headers
from tests.services import temporary_database

OUR_NUMBER = "whatsapp:+6281180001500"
KEEP_TABLES = {"office", "queue", "catalog_revision", "alembic_version"}
# rows a migration seeds (the shipped canned responses): emptied with the test's own rows and
# put back as the migration left them, so every test starts from a fresh deploy's state
SEEDED_TABLES = ("canned_response",)
WIB = timezone(timedelta(hours=7))
TUESDAY_10_WIB = datetime(2026, 12, 1, 10, 0, tzinfo=WIB)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Stack:
    base_url: str
    environ: dict
    app: object
    logs: Path
    # SEEDED_TABLES' rows as the migration left them (taken before the first test)
    seeded: dict = field(default_factory=dict)

    @property
    def clock(self) -> FileClock:
        return FileClock(self.environ["PANDAWA_CLOCK"].removeprefix("file:"))

    def sign(self, path: str, form: dict) -> str:
        return signed_headers(path, form)["X-Twilio-Signature"]

    def post_webhook(self, form: dict, path: str = harness.INBOUND_PATH) -> requests.Response:
        return requests.post(
            self.base_url + path,
            data=form,
            timeout=10,
            headers=signed_headers(path, form),
        )

    def scalar(self, stmt):
        with self.app.app_context():
            try:
                return db.session.scalar(stmt)
            finally:
                db.session.remove()

    def rows(self, stmt):
        with self.app.app_context():
            try:
                return db.session.execute(stmt).all()
            finally:
                db.session.remove()


def inbound_form(sid: str, citizen: str, body: str, name: str = "Siti Rahayu") -> dict:
    """A citizen's message to the stack's number, with every field Twilio posts."""
    return harness.inbound_form(
        sid,
        SmsMessageSid=sid,
        SmsSid=sid,
        From=citizen,
        To=OUR_NUMBER,
        Body=body,
        ProfileName=name,
        WaId=citizen.removeprefix("whatsapp:+"),
        SmsStatus="received",
        NumSegments="1",
        ApiVersion="2010-04-01",
    )


def celery_worker_command(pool: str, concurrency: int) -> list[str]:
    """A Celery worker of pandawa.worker, as deployed but for pool and concurrency."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "pandawa.worker",
        "worker",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def dispatcher_command() -> list[str]:
    """The outbox dispatcher (Procfile `dispatcher`), from this venv."""
    return [str(Path(sys.executable).parent / "pandawa"), "dispatcher"]


def start_process(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    """`cmd` in a session of its own, its output to `log`."""
    with log.open("w") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            cmd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL after 15 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def running_stack(
    redis_url: str,
    fake_twilio,
    tmp_path_factory,
    *,
    name: str,
    web_args: tuple[str, ...] = (),
    extra_environ: dict[str, str] | None = None,
    fake_graph=None,
) -> Iterator[Stack]:
    """A migrated database with the default catalogue, gunicorn (web_args added) and a Celery
    worker (prefork, 2) sharing a rehearsal clock set to Tuesday 10:00 WIB; stopped afterwards."""
    logs = tmp_path_factory.mktemp(f"{name}-logs")
    with temporary_database(f"pandawa_{name}") as url:
        environ = app_environ(
            url,
            redis_url,
            fake_twilio.url,
            tmp_path_factory.mktemp("inst"),
            # with the fake Graph API: a Meta number beside the Twilio one
            fake_graph.url if fake_graph is not None else None,
        )
        environ["PANDAWA_SWEEP_AFTER_SECONDS"] = "2"  # the sweeper test need not wait a minute
        environ.update(extra_environ or {})
        # one instant for the test, gunicorn and the worker: set per test
        clock_file = tmp_path_factory.mktemp("clock") / "now"
        FileClock(str(clock_file)).set(TUESDAY_10_WIB)
        environ["PANDAWA_CLOCK"] = f"file:{clock_file}"
        app = create_app(environ)
        with app.app_context():
            with db.engine.begin() as conn:
                upgrade(url, connection=conn)
            from pandawa.provisioning.operations import load_default

            load_default(db.session)
            db.session.commit()
        env = {**os.environ, **environ}
        port = free_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        web = start_process(
            [
                gunicorn,
                "-w",
                "2",
                *web_args,
                "-b",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                "pandawa.app:create_app()",
            ],
            env,
            logs / "web.log",
        )
        worker = start_process(celery_worker_command("prefork", 2), env, logs / "worker.log")
        dispatcher = start_process(dispatcher_command(), env, logs / "dispatcher.log")
        stack = Stack(base_url=f"http://127.0.0.1:{port}", environ=environ, app=app, logs=logs)
        try:
            wait_until(lambda: _healthy(stack.base_url), 30, what="gunicorn /healthz")
            wait_until(
                lambda: "ready" in (logs / "worker.log").read_text(), 60, what="celery worker ready"
            )
            yield stack
        finally:
            stop_process(web)
            stop_process(worker)
            stop_process(dispatcher)
            with app.app_context():
                db.engine.dispose()
            for log_name in ("web.log", "worker.log", "dispatcher.log"):
                sys.stderr.write(f"\n--- {name} {log_name} (tail) ---\n")
                sys.stderr.write("".join((logs / log_name).read_text().splitlines(True)[-15:]))


def _healthy(base_url: str) -> bool:
    try:
        return requests.get(base_url + "/healthz", timeout=1).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


def fresh(stack: Stack, fake_twilio) -> Iterator[Stack]:
    """The stack for one test (a fixture's body): the fake and the clock reset; afterwards every
    table emptied but the catalogue's."""
    fake_twilio.reset()
    stack.clock.set(TUESDAY_10_WIB)
    if not stack.seeded:
        with stack.app.app_context(), db.engine.connect() as conn:
            for name in SEEDED_TABLES:
                table = db.metadata.tables[name]
                stack.seeded[name] = [
                    dict(row._mapping) for row in conn.execute(sa.select(table).order_by("id"))
                ]
    yield stack
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in KEEP_TABLES]
    truncate = "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
    with stack.app.app_context():
        # the worker may still be finishing the test's last sends: a deadlock with it is
        # resolved by PostgreSQL in its favour, and the emptying is simply tried again
        for attempt in range(10):
            try:
                with db.engine.begin() as conn:
                    conn.exec_driver_sql(truncate)
                    for name, rows in stack.seeded.items():
                        if rows:  # ids restart at 1 with the sequence: the seeds' own
                            table = db.metadata.tables[name]
                            conn.execute(table.insert(), [_without_id(row) for row in rows])
                break
            except OperationalError:
                if attempt == 9:
                    raise
                time.sleep(0.3)
        db.session.remove()


def _without_id(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "id"}


def count(stack: Stack, stmt) -> int:
    return stack.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


SAMPLE_DETAILS = {
    "nik": "3174015708900001",
    "card_number": "0001234567890",
    "date": "17-08-1990",
    "text": "Mohon bantuan pindah faskes",
    "phone": "081234567890",
}


def sid() -> str:
    return "SM" + uuid.uuid4().hex


def citizen() -> str:
    return "whatsapp:+62812" + str(uuid.uuid4().int)[:8]


def handoff_path(stack):
    """The first menu option that hands off to a queue, and the answers its details need; one
    without an eligibility checklist (issue 17: test_checklist.py walks those)."""
    from pandawa.catalog.queries import active_catalog

    with stack.app.app_context():
        catalog = active_catalog()
        for item in catalog.menu_items(()):
            simple = item.queue and not item.checklist
            if simple and all(step.type in SAMPLE_DETAILS for step in item.collect):
                db.session.remove()
                return item.key, [SAMPLE_DETAILS[s.type] for s in item.collect], item.queue
    raise AssertionError("the default catalogue has no simple handoff option")


def agent_token(stack, queue_code: str, email: str = "petugas@example.go.id") -> str:
    from pandawa.accounts.operations import create_token
    from pandawa.admin.operations import create_user

    with stack.app.app_context():
        user = create_user(db.session, email, "agent", [queue_code])
        token = create_token(db.session, user)
        db.session.commit()
        db.session.remove()
    return token


def open_ticket_as(stack, fake_twilio, who: str) -> tuple[str, str]:
    """Drive a citizen from hello to a ticket; return (ticket number, queue code)."""
    key, answers, queue_code = handoff_path(stack)
    for body in ["Halo", key, *answers]:
        before = len(fake_twilio.sent_to(who))
        assert stack.post_webhook(inbound_form(sid(), who, body)).status_code == 200
        wait_until(lambda b=before: len(fake_twilio.sent_to(who)) > b, 30, what="bot reply")
    last = fake_twilio.sent_to(who)[-1].body
    number = stack.scalar(
        sa.select(Ticket.number).join(Ticket.queue).where(Ticket.status == "waiting")
    )
    assert number and number in last, last
    return number, queue_code
