"""What many tests share that is not a fixture: the run's Twilio account and address, signed
webhook requests, Twilio's inbound form, signing in to the browser pages, and running work in
threads that start at once.

Fixtures built on these live in tests/conftest.py; the real stack (processes) in
tests/stack.py.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from pandawa.accounts.passwords import hash_password
from pandawa.accounts.throttle import reset_all
from pandawa.core.extensions import db
from tests.fakes import meta_graph

TEST_ACCOUNT_SID = "AC" + "0" * 30 + "42"
TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://pandawa.example.go.id"

INBOUND_PATH = "/webhooks/twilio/whatsapp"
STATUS_PATH = "/webhooks/twilio/status"
CITIZEN = "whatsapp:+6281234567890"
OFFICE = "whatsapp:+6281100000000"

# the shipped example catalogue with several offices sharing numbers (regions)
EXAMPLE = Path(__file__).resolve().parents[1] / "pandawa/catalog/examples/multi-office.yaml"

T = TypeVar("T")
R = TypeVar("R")


def app_environ(
    database_url: str,
    redis_url: str,
    fake_twilio_url: str,
    instance: Path,
    fake_graph_url: str | None = None,
) -> dict:
    """The test app's settings; with `fake_graph_url`, a Meta (Cloud API) number enabled
    beside Twilio, its Graph API the local fake (tests/fakes/meta_graph.py)."""
    return {
        **(meta_environ(fake_graph_url) if fake_graph_url else {}),
        "PANDAWA_ENV": "test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key-0123456789",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "WHATSAPP_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_API_BASE_URL": fake_twilio_url,
        "TWILIO_TIMEOUT_SECONDS": "5",
        # each message answered at once: the tests that send several in a row expect a reply
        # each (tests/conversations/test_coalesce.py sets its own pause)
        "BOT_COALESCE_SECONDS": "0",
        "PANDAWA_INSTANCE_PATH": str(instance),
        "PATH": os.environ.get("PATH", ""),
    }


def meta_environ(fake_graph_url: str) -> dict:
    return {
        "META_ACCESS_TOKEN": meta_graph.ACCESS_TOKEN,
        "META_APP_SECRET": meta_graph.APP_SECRET,
        "META_VERIFY_TOKEN": meta_graph.VERIFY_TOKEN,
        "META_PHONE_NUMBER_ID": meta_graph.PHONE_NUMBER_ID,
        "META_GRAPH_API_BASE_URL": fake_graph_url,
        "META_GRAPH_API_VERSION": meta_graph.VERSION,
    }


# -- Twilio's webhooks ------------------------------------------------------------------------


def sign(url: str, params: dict) -> str:
    """The X-Twilio-Signature Twilio computes for a POST of `params` to `url`."""
    return RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, params)


def signed_headers(path: str, form: dict, *, signed_for: str | None = None) -> dict[str, str]:
    """The header of a webhook POST signed as Twilio signs it: for PUBLIC_BASE_URL + path."""
    return {"X-Twilio-Signature": sign(signed_for or PUBLIC_BASE_URL + path, form)}


def inbound_form(sid: str = "SM" + "a" * 32, **overrides: str | None) -> dict:
    """An inbound message as Twilio posts it, from CITIZEN to OFFICE; an override of None
    leaves the field out."""
    form = {
        "MessageSid": sid,
        "AccountSid": TEST_ACCOUNT_SID,
        "From": CITIZEN,
        "To": OFFICE,
        "Body": "Halo, saya mau tanya soal iuran",
        "NumMedia": "0",
        "ProfileName": "Siti",
        "WaId": "6281234567890",
        "MessageType": "text",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


# -- the browser pages: signing in --------------------------------------------------------------

PASSWORD = "kata-sandi-uji-2026"
_HASH: list[str] = []
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def reset_throttle(app: Flask) -> None:
    with app.app_context():
        reset_all()


def with_password(user):  # type: ignore[no-untyped-def]
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    user.password_hash = _HASH[0]
    return user


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


# -- concurrency ------------------------------------------------------------------------------


def at_once(
    work: Callable[[T], R], args: Sequence[T], *, app: Flask | None = None, timeout: float = 120
) -> list[R]:
    """`work(arg)` for each of `args`, each in a thread of its own, all released together by a
    barrier; the results in the order of `args`. With `app`, each thread runs in an app context
    of its own and its `db.session` is removed afterwards (touch no connection before `work`:
    every thread starts from the same point). Fails if any thread raised or did not finish."""
    barrier = threading.Barrier(len(args))
    results: dict[int, R] = {}
    errors: list[BaseException] = []

    def run(index: int, arg: T) -> None:
        try:
            barrier.wait(timeout=60)
            if app is None:
                results[index] = work(arg)
                return
            with app.app_context():
                try:
                    results[index] = work(arg)
                finally:
                    db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, arg)) for i, arg in enumerate(args)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)

    assert not errors, errors
    assert not [t for t in threads if t.is_alive()], f"still running after {timeout}s"
    return [results[i] for i in range(len(args))]
