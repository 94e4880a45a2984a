"""Browser tests of the agent console: headless Chromium (Debian's `chromium` package) driven by
Playwright against the real stack — gunicorn with threaded workers (server-sent events hold a
connection each, as in the Procfile), a Celery worker, PostgreSQL, Redis; only Twilio's REST API
is the local fake.

One browser per session, a fresh context (cookies, storage) per test. Screenshots of the main
views are kept in test-artifacts/browser/. A missing browser fails the run: it never skips.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from pandawa import create_app
from pandawa.clock import FileClock
from pandawa.extensions import db
from pandawa.migrations import upgrade
from tests.browser.helpers import ARTIFACTS, DESKTOP, shot
from tests.conftest import app_environ
from tests.e2e.conftest import (  # noqa: F401  (e2e: the per-test fixture, reused as it is)
    TUESDAY_10_WIB,
    Stack,
    _healthy,
    _start,
    _stop,
    e2e,
    free_port,
    wait_until,
)
from tests.services import temporary_database, temporary_redis_db

pytestmark = pytest.mark.e2e
CALL_FAILED = pytest.StashKey[bool]()

CHROMIUM = os.environ.get("PANDAWA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def stack(fake_twilio, tmp_path_factory) -> Iterator[Stack]:
    """The e2e stack with gthread workers, on its own database and Redis db (its Celery worker
    must not take the e2e stack's tasks when both run in one session)."""
    logs = tmp_path_factory.mktemp("browser-logs")
    with temporary_redis_db() as redis_url, temporary_database("pandawa_browser") as url:
        environ = app_environ(url, redis_url, fake_twilio.url, tmp_path_factory.mktemp("inst"))
        clock_file = tmp_path_factory.mktemp("clock") / "now"
        FileClock(str(clock_file)).set(TUESDAY_10_WIB)
        environ["PANDAWA_CLOCK"] = f"file:{clock_file}"
        app = create_app(environ)
        with app.app_context():
            with db.engine.begin() as conn:
                upgrade(url, connection=conn)
            from pandawa.catalog.operations import load_default

            load_default(db.session)
            db.session.commit()
        env = {**os.environ, **environ}
        port = free_port()
        bindir = Path(sys.executable).parent
        web_cmd = [str(bindir / "gunicorn"), "-w", "2", "--worker-class", "gthread"]
        web_cmd += ["--threads", "16", "-b", f"127.0.0.1:{port}", "--no-control-socket"]
        web = _start([*web_cmd, "pandawa:create_app()"], env, logs / "web.log")
        worker = _start(
            [
                *(sys.executable, "-m", "celery", "-A", "pandawa.worker", "worker"),
                *("--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            env,
            logs / "worker.log",
        )
        stack = Stack(base_url=f"http://127.0.0.1:{port}", environ=environ, app=app, logs=logs)
        try:
            wait_until(lambda: _healthy(stack.base_url), 30, what="gunicorn /healthz")
            wait_until(
                lambda: "ready" in (logs / "worker.log").read_text(), 60, what="celery worker ready"
            )
            yield stack
        finally:
            _stop(web)
            _stop(worker)
            with app.app_context():
                db.engine.dispose()
            for name in ("web.log", "worker.log"):
                sys.stderr.write(f"\n--- browser {name} (tail) ---\n")
                sys.stderr.write("".join((logs / name).read_text().splitlines(True)[-15:]))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's package (`apt-get install chromium`) "
            "or set PANDAWA_CHROMIUM; browser tests never skip",
            pytrace=False,
        )
    for old in ARTIFACTS.glob("*.png"):  # the artifacts show this run only
        old.unlink()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser, stack) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=DESKTOP, base_url=stack.base_url, locale="id-ID")
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def page(context, request) -> Iterator[Page]:
    """A page that records script errors and CSP violations; the test fails on any. A failed
    test leaves a screenshot of the page as it was."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    yield page
    if request.node.stash.get(CALL_FAILED, False):
        shot(page, f"FAILED-{request.node.name}")
    assert not errors, errors
