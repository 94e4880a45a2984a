"""Where one inbound webhook request spends its time: signature, form parsing, the SQL statement,
the commit, metrics and logging, the rest of Flask — measured in this process (no gunicorn,
no HTTP) on the production settings against a fresh PostgreSQL database.

    .venv/bin/python bench/webhook_profile.py [--requests N]

Each phase is timed by wrapping the function that does it (CPU time of this thread, and wall
time); "Flask and the rest" is the whole request less the phases. Prints a table. Loopback
only; the database it creates (`pandawa_bench_profile`) is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

from twilio.request_validator import RequestValidator
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack

DB = "pandawa_bench_profile"
TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://pandawa.bench.invalid"
PATH = "/webhooks/twilio/whatsapp"

cpu: dict[str, float] = defaultdict(float)
wall: dict[str, float] = defaultdict(float)
_open: list[str] = []  # the phases running now, innermost last


def timed(name: str, func):
    """Time `func` as phase `name`, exclusive of the phases it calls (the form is parsed
    inside the signature check: counted once, as parsing)."""

    def wrapper(*args, **kwargs):
        c, w = time.thread_time(), time.perf_counter()
        _open.append(name)
        try:
            return func(*args, **kwargs)
        finally:
            _open.pop()
            spent_cpu, spent_wall = time.thread_time() - c, time.perf_counter() - w
            cpu[name] += spent_cpu
            wall[name] += spent_wall
            if _open:  # the caller's phase did not spend this itself
                cpu[_open[-1]] -= spent_cpu
                wall[_open[-1]] -= spent_wall

    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    stack.recreate_database(DB)
    try:
        return run(args.requests)
    finally:
        stack.drop_database(DB)


def run(count: int) -> int:
    env = {
        "PANDAWA_ENV": "production",
        "SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "DATABASE_URL": stack.pg_url(DB),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",  # never used: nothing is published
        "WHATSAPP_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
        "PUBLIC_BASE_URL": PUBLIC,
        "METRICS_TOKEN": "bench-metrics-token",
        "PANDAWA_INSTANCE_PATH": str(Path("/tmp") / f"pandawa-profile-{os.getpid()}"),
    }
    os.environ.update(env)
    from flask import Request

    from pandawa.app import create_app
    from pandawa.channels import ingest, twilio, views
    from pandawa.core.extensions import db
    from pandawa.core.migrations import upgrade

    app = create_app(env)
    with app.app_context():
        upgrade(env["DATABASE_URL"])
        session_cls = type(db.session())

    # the phases, wrapped where the view calls them
    views.twilio.signature_valid = timed("signature (HMAC-SHA1)", twilio.signature_valid)
    views.store_inbound_committed = timed(
        "SQL: message + task, one autocommit statement", ingest.store_inbound_committed
    )
    views.twilio.inbound_from_form = timed("reading the form's fields", twilio.inbound_from_form)
    Request._load_form_data = timed("form parsing (werkzeug)", Request._load_form_data)
    session_cls.commit = timed("COMMIT", session_cls.commit)
    views._inbound_seconds.observe = timed("metrics", views._inbound_seconds.observe)
    views.metrics.MESSAGES_IN.inc = timed("metrics", views.metrics.MESSAGES_IN.inc)

    validator = RequestValidator(TOKEN)

    def environ() -> dict:
        sid = "SM" + uuid.uuid4().hex
        form = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": env["TWILIO_ACCOUNT_SID"],
            "From": "whatsapp:+6281234567890",
            "To": "whatsapp:+6281180001500",
            "Body": "Selamat siang, saya mau tanya soal pindah faskes",
            "NumMedia": "0",
            "ProfileName": "Siti",
            "WaId": "6281234567890",
            "SmsStatus": "received",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }
        signature = validator.compute_signature(PUBLIC + PATH, form)
        builder = EnvironBuilder(
            path=PATH,
            method="POST",
            data=form,
            headers={"X-Twilio-Signature": signature},
            base_url="http://127.0.0.1:5000",
        )
        return builder.get_environ()

    environs = [environ() for _ in range(count + 300)]

    def call(e: dict) -> None:
        status: list[str] = []
        body = app.wsgi_app(e, lambda s, h, exc_info=None: status.append(s))
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"unexpected answer {status[0]}")

    for e in environs[:300]:  # warm-up: pools, prepared statements, caches
        call(e)
    cpu.clear()
    wall.clear()
    c0, w0 = time.thread_time(), time.perf_counter()
    for e in environs[300:]:
        call(e)
    total_cpu, total_wall = time.thread_time() - c0, time.perf_counter() - w0
    phases = sorted(cpu, key=lambda k: -cpu[k])
    rest_cpu = total_cpu - sum(cpu.values())
    rest_wall = total_wall - sum(wall.values())
    print(f"\n{count} requests in this process (production settings, PostgreSQL on loopback)\n")
    print("| phase | CPU µs/request | wall µs/request |")
    print("|---|---|---|")
    for name in phases:
        print(f"| {name} | {cpu[name] / count * 1e6:.0f} | {wall[name] / count * 1e6:.0f} |")
    print(f"| Flask, logging and the rest | {rest_cpu / count * 1e6:.0f} | "
          f"{rest_wall / count * 1e6:.0f} |")  # fmt: skip
    print(f"| **whole request** | **{total_cpu / count * 1e6:.0f}** | "
          f"**{total_wall / count * 1e6:.0f}** |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
