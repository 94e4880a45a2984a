"""Browser tests of the agent console: headless Chromium (Debian's `chromium` package) driven by
Playwright against the real stack — gunicorn with threaded workers (server-sent events hold a
connection each, as in the Procfile), a Celery worker, PostgreSQL, Redis; only Twilio's REST API
is the local fake.

One browser per session, a fresh context (cookies, storage) per test. Screenshots of the main
views are kept in test-artifacts/browser/. A missing browser fails the run: it never skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.helpers import ARTIFACTS, DESKTOP, shot
from tests.services import temporary_redis_db
from tests.stack import Stack, fresh, running_stack

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
    """The e2e stack with gthread workers (each server-sent event stream holds a thread, as in
    the Procfile), on its own database and Redis db (its Celery worker must not take the e2e
    stack's tasks when both run in one session)."""
    threaded = ("--worker-class", "gthread", "--threads", "16")
    with (
        temporary_redis_db() as redis_url,
        running_stack(
            redis_url, fake_twilio, tmp_path_factory, name="browser", web_args=threaded
        ) as running,
    ):
        yield running


@pytest.fixture
def e2e(stack, fake_twilio) -> Iterator[Stack]:
    """The browser stack for one test, as the e2e tests have theirs."""
    yield from fresh(stack, fake_twilio)


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
