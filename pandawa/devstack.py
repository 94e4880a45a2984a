"""`pandawa dev`: the whole system on one machine with nothing installed but Python.

SQLite under `instance/`, kombu's SQLAlchemy broker on a second SQLite file, the simulator as
the WhatsApp provider. One command migrates, loads the shipped catalogue and demo accounts,
then runs a Celery worker (with beat embedded) as a child process, and the web server and the
task outbox's dispatcher (polling) in this one, and stops the worker when it stops.
"""

from __future__ import annotations

import ctypes
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
from types import FrameType

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import WSGIRequestHandler, make_server

from pandawa.accounts.operations import create_token, find_user
from pandawa.admin.operations import create_user
from pandawa.catalog.models import CatalogRevision
from pandawa.core.config import Settings, settings_of
from pandawa.core.dispatcher import run_in_thread
from pandawa.core.extensions import db
from pandawa.core.migrations import upgrade
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import Queue

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = (
    ("petugas.demo@example.go.id", "agent"),
    ("supervisor.demo@example.go.id", "supervisor"),
)
WORKER_STOP_SECONDS = 20
DISPATCHER_POLL = 0.2  # seconds: SQLite has no NOTIFY; the simulator should feel immediate
# requests the simulator page makes every second; logging each one buries everything else
QUIET_PATHS = ("/simulator/messages", "/healthz", "/readyz")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 65535),
    envvar="PORT",
    help="Port to listen on (or $PORT).",
)
@with_appcontext
def dev_command(host: str, port: int) -> None:
    """Run the embedded stack: migrations, demo data, web server, worker and beat."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings: Settings = settings_of(app)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin
    prepare(settings)
    db.session.remove()

    try:
        server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    except OSError as exc:
        raise click.ClickException(
            f"port {port} on {host} is not free ({exc.strerror}); choose another with --port"
        ) from exc

    worker = _start_worker(settings)
    # the task outbox's dispatcher, polling SQLite in a thread of this process
    dispatcher, dispatcher_stop = run_in_thread(app, poll=DISPATCHER_POLL)
    stopping = threading.Event()
    crashed: list[int] = []
    _watch_worker(worker, stopping, crashed)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    _print_urls(host, port, settings)
    try:
        server.serve_forever()  # returns on KeyboardInterrupt (Ctrl-C, or SIGTERM below)
    finally:
        stopping.set()
        signal.signal(signal.SIGTERM, previous)
        dispatcher_stop.set()
        dispatcher.join(timeout=5)
        _stop_worker(worker)
    if crashed:
        raise click.ClickException(
            f"the Celery worker stopped unexpectedly (exit code {crashed[0]}); see its log above"
        )


def prepare(settings: Settings) -> None:
    """Schema at head, a catalogue in force, demo accounts; safe to run on every start."""

    upgrade(settings.database_url)
    click.echo("Basis data mutakhir / database migrated to head")
    _load_catalogue()
    _demo_accounts()
    db.session.commit()


def _load_catalogue() -> None:
    if db.session.scalar(sa.select(CatalogRevision.id).limit(1)) is not None:
        return

    load_default(db.session)
    click.echo("Katalog layanan bawaan dimuat / default service catalogue loaded")


def _demo_accounts() -> None:
    queues = list(db.session.scalars(sa.select(Queue.code).order_by(Queue.id)))
    lines = []
    for email, role in DEMO_ACCOUNTS:
        if find_user(db.session, email) is not None:
            continue
        password = secrets.token_urlsafe(12)
        user = create_user(
            db.session, email, role, queues, password=password, name=f"{role.capitalize()} Demo"
        )
        lines.append(f"  {role:<11} {email:<32} kata sandi / password: {password}")
        if role == "agent":
            token = create_token(db.session, user, name="pandawa dev")
            lines.append(f"  token API petugas / agent API token: {token}")
    if not lines:
        click.echo(
            "Akun demo sudah ada / demo accounts exist: "
            + ", ".join(email for email, _ in DEMO_ACCOUNTS)
            + " (kata sandi hanya ditampilkan sekali; hapus instance/ untuk mulai ulang / "
            "passwords were shown once; delete instance/ to start afresh)"
        )
        return
    # a development machine: shown once here, and never written to a log
    click.echo("Akun demo dibuat (ditampilkan sekali) / demo accounts created (shown once):")
    click.echo("\n".join(lines))


def worker_command(settings: Settings) -> list[str]:
    """A Celery worker with beat embedded; threads, so one process holds the SQLite files."""
    args = "-m celery -A pandawa.worker worker -B --pool threads --concurrency 2 --loglevel"
    return [sys.executable, *args.split(), settings.log_level]


def _start_worker(settings: Settings) -> subprocess.Popen:
    env = dict(os.environ)
    # the worker must find the same files (database, broker, secret key) whatever its cwd
    env["PANDAWA_INSTANCE_PATH"] = str(settings.instance_path)
    env.pop("FLASK_RUN_FROM_CLI", None)
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        worker_command(settings),
        env=env,
        # its own process group: Ctrl-C reaches us, we stop it in order, and the whole group
        # (worker and its embedded beat process) can be ended together
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    log.info("celery worker started (pid %s)", worker.pid)
    return worker


def _die_with_parent() -> None:
    # if `pandawa dev` is killed outright, the kernel sends the worker SIGTERM: no orphans
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _watch_worker(worker: subprocess.Popen, stopping: threading.Event, crashed: list[int]) -> None:
    def watch() -> None:
        code = worker.wait()
        if not stopping.is_set():
            crashed.append(code)
            log.error("celery worker exited unexpectedly (exit code %s); stopping", code)
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="worker-watch", daemon=True).start()


def _stop_worker(worker: subprocess.Popen) -> None:
    _signal_group(worker.pid, signal.SIGTERM)  # warm shutdown: running tasks finish
    try:
        worker.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("celery worker did not stop in %ss; killing it", WORKER_STOP_SECONDS)
    # whatever is still in its group (the embedded beat process, a stuck worker) goes too
    _signal_group(worker.pid, signal.SIGKILL)
    worker.wait()
    log.info("celery worker stopped")


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _print_urls(host: str, port: int, settings: Settings) -> None:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    base = f"http://{shown}:{port}"
    rows = []
    if settings.whatsapp_provider == "simulator":
        rows.append(("Simulator WhatsApp", f"{base}/simulator"))
    rows += [
        ("API", f"{base}/api/v1/  (OpenAPI: {base}/api/v1/openapi.json)"),
        ("Konsol / console", f"{base}/console"),
        ("Dasbor / dashboard", f"{base}/dashboard"),
        ("Kesehatan / health", f"{base}/healthz , {base}/readyz"),
    ]
    click.echo("\nPandawa berjalan / is running:")
    for label, url in rows:
        click.echo(f"  {label:<20} {url}")
    click.echo("Tekan Ctrl-C untuk berhenti / press Ctrl-C to stop.\n")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).startswith("2") and self.path.split("?", 1)[0] in QUIET_PATHS:
            return
        super().log_request(code, size)
