"""The sides of the ingest bench: the baseline (one side per BENCH_MODE asked for) and Pandawa
(gunicorn and its outbox dispatcher, as the Procfile runs them), each set up as its operator
would (fresh database and schema, gunicorn with 2 sync workers on 127.0.0.1)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from argparse import Namespace
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import stack
from signed import RequestFile, Signer
from stack import Daemon, RedisDb, Server

log = logging.getLogger("bench")

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# found relative to the checkout, never at an absolute path: ../shared/bench/baseline beside
# it (BENCH_BASELINE_DIR overrides)
BASELINE_SRC = Path(
    os.environ.get("BENCH_BASELINE_DIR", REPO.parent / "shared" / "bench" / "baseline")
)
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"  # the baseline's BENCH_TOKEN default
ACCOUNT_SID = "AC" + "c0ffee" * 5 + "00"  # the AccountSid the baseline generator writes
# one hex digit per side in the MessageSids (signed.py): Pandawa 2, each baseline mode its own
SID_PREFIX = {"pandawa": "2", "bare": "a", "sig": "b", "db": "d", "celery": "c"}
# the baseline modes that publish one Celery task per stored message; the others publish none
PUBLISHING_MODES = {"celery"}
PANDAWA_SENDER = "whatsapp:+6281180001500"
PUBLIC_BASE_URL = "https://pandawa.bench.invalid"  # never called: only signed for
# names that must come from this script only, never leak in from the caller's shell
SCRUB = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "PUBLIC_BASE_URL",
    "WHATSAPP_PROVIDER",
    "PROMETHEUS_MULTIPROC_DIR",
)


@dataclass
class Side:
    key: str
    title: str
    path: str
    db: str
    sid_sql: str  # the stored MessageSids between %s and %s
    server: Server
    signer: Signer
    # tasks the side hands to Redis per stored message (1 or 0): celery mode, and Pandawa
    # through its dispatcher; db, sig, bare and Pandawa without its dispatcher publish none
    publishes: bool = False
    # Pandawa only: its outbox dispatcher (None when run with --dispatcher off)
    dispatcher: Daemon | None = None
    outbox: bool = False  # Pandawa only: it writes task_outbox rows
    rps_estimate: float = 0.0
    files: list[tuple[RequestFile, RequestFile]] = field(default_factory=list)
    fixed_files: list[RequestFile] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)
    fixed: list[dict] = field(default_factory=list)


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SCRUB and not k.startswith(("PANDAWA_", "BENCH_", "TWILIO_"))
    }
    return {**env, **extra}


def setup_baseline(
    args: Namespace, mode: str, tmp: Path, redis_db: RedisDb, exits: ExitStack
) -> Side:
    """One baseline side for one BENCH_MODE: its own database and gunicorn (key baseline-MODE)."""
    workdir = tmp / "baseline"
    key = f"baseline-{mode}"
    name = f"pandawa_bench_baseline_{mode}"
    stack.recreate_database(name)
    exits.callback(stack.drop_database, name)
    env = child_env(
        {
            "BENCH_DSN": stack.pg_url(name, "postgresql+psycopg"),
            "BENCH_BROKER": redis_db.url,
            "BENCH_TOKEN": AUTH_TOKEN,
            "BENCH_MODE": mode,
        }
    )
    stack.run([sys.executable, "common.py", "init"], env, workdir)
    port = stack.free_port()
    server = stack.start_gunicorn(
        key,
        VENV_BIN / "gunicorn",
        "app:app",
        port,
        args.workers,
        env,
        workdir,
        tmp / f"{key}.log",
        "/webhook/whatsapp",
    )
    exits.callback(server.stop)
    url = f"{server.base_url}/webhook/whatsapp"
    return Side(
        key,
        f"baseline ({mode})",
        "/webhook/whatsapp",
        name,
        "SELECT message_sid FROM messages WHERE message_sid BETWEEN %s AND %s",
        server,
        Signer(workdir, AUTH_TOKEN, url, SID_PREFIX[mode], None, tmp / "reqs"),
        publishes=mode in PUBLISHING_MODES,
    )


def setup_pandawa(args: Namespace, tmp: Path, redis_db: RedisDb, exits: ExitStack) -> Side:
    name = "pandawa_bench_product"
    stack.recreate_database(name)
    exits.callback(stack.drop_database, name)
    port = stack.free_port()
    env = child_env(
        {
            "DATABASE_URL": stack.pg_url(name),
            "CELERY_BROKER_URL": redis_db.url,
            "REDIS_URL": redis_db.url,
            "WHATSAPP_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            # nothing may leave the machine: a send attempted inline would hit a closed port
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            # production wants the https URL Twilio calls; wrk posts plain http to gunicorn, as
            # the TLS-terminating proxy would, and the signature covers the public URL
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "METRICS_TOKEN": "bench-metrics-token",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "PANDAWA_ENV": "production",
            "PANDAWA_INSTANCE_PATH": str(tmp / "instance"),
            # as the Procfile runs it: every worker's counters in files, summed by /metrics
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        }
    )
    (tmp / "instance").mkdir()
    (tmp / "metrics").mkdir()
    stack.run([str(VENV_BIN / "pandawa"), "db", "upgrade"], env, REPO)
    load_catalog(env)
    server = stack.start_gunicorn(
        "pandawa",
        VENV_BIN / "gunicorn",
        "pandawa.app:create_app()",
        port,
        args.workers,
        env,
        REPO,
        tmp / "pandawa.log",
        "/healthz",
    )
    exits.callback(server.stop)
    dispatcher = None
    if args.dispatcher == "on":
        # the Procfile's `dispatcher: pandawa dispatcher`, with the web's environment
        dispatcher = stack.start_daemon(
            "dispatcher",
            [str(VENV_BIN / "pandawa"), "dispatcher"],
            env,
            REPO,
            tmp / "dispatcher.log",
            # its first loop stamps its heartbeat: connected, and the outbox claimed once
            lambda: bool(
                stack.query(name, "SELECT 1 FROM service_heartbeat WHERE name = 'dispatcher'")
            ),
        )
        exits.callback(dispatcher.stop)
    path = "/webhooks/twilio/whatsapp"
    return Side(
        "pandawa",
        "Pandawa",
        path,
        name,
        "SELECT provider_message_id FROM message WHERE direction = 'in' "
        "AND provider_message_id BETWEEN %s AND %s",
        server,
        Signer(
            tmp / "baseline",
            AUTH_TOKEN,
            PUBLIC_BASE_URL + path,
            SID_PREFIX["pandawa"],
            PANDAWA_SENDER,
            tmp / "reqs",
        ),
        publishes=dispatcher is not None,
        dispatcher=dispatcher,
        outbox=True,
    )


def load_catalog(env: dict[str, str]) -> None:
    """Offices, queues and sender numbers, as an operator would after `db upgrade`."""
    help_text = subprocess.run(
        [str(VENV_BIN / "pandawa"), "catalog", "--help"],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    ).stdout
    if "load" not in help_text:
        log.warning("`pandawa catalog load` does not exist yet: no catalogue loaded")
        return
    shipped = sorted((REPO / "pandawa" / "catalog").glob("*.yaml"))
    chosen = os.environ.get("BENCH_PANDAWA_CATALOG") or (str(shipped[0]) if shipped else None)
    if chosen is None:
        log.warning("no catalogue file found under pandawa/catalog/: none loaded")
        return
    stack.run([str(VENV_BIN / "pandawa"), "catalog", "load", chosen], env, REPO)
    log.info("catalogue loaded: %s", chosen)
