"""Live updates in `pandawa dev` — SQLite, the SQL broker, no REDIS_URL — as an evaluator
first sees them: the header says "Langsung", a ticket the worker creates appears in the work
list and the citizen's next message in the open ticket, both without a reload.

The stack is the real `pandawa dev` process (tests/test_devstack.py starts it); the worker is
its Celery child, a separate process that shares only the database with the web server. The
figures (event written → shown; citizen sends → bubble shown) are printed, not asserted.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.helpers import DESKTOP, shot
from tests.test_devstack import (
    REPLY_SECONDS,
    TICKET_NUMBER,
    DevStack,
    handoff_plan,
    running_dev,
    wait_for,
)

pytestmark = pytest.mark.e2e
SUPERVISOR = "supervisor.demo@example.go.id"

# every row or bubble the page shows, with the time it first appeared (browser clock, ms)
WATCH = """() => {
  window.__seen = {};
  const note = () => {
    document.querySelectorAll("tr[data-ticket], li[data-message-id]").forEach((el) => {
      const key = el.getAttribute("data-ticket") || "m" + el.getAttribute("data-message-id");
      if (!(key in window.__seen)) { window.__seen[key] = Date.now(); }
    });
  };
  note();
  new MutationObserver(note).observe(document.body, { childList: true, subtree: true });
  window.__loaded = "same page";
}"""


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Iterator[DevStack]:
    with running_dev(tmp_path_factory.mktemp("pandawa-dev-live")) as stack:
        yield stack


@pytest.fixture
def dev_page(browser: Browser, dev: DevStack) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        viewport=DESKTOP, base_url=dev.base_url, locale="id-ID"
    )
    context.set_default_timeout(15_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def _password(dev: DevStack, email: str) -> str:
    found = re.search(re.escape(email) + r"\s+kata sandi / password: (\S+)", dev.output())
    assert found, dev.output()[-3000:]
    return found.group(1)


def _event_written_at(dev: DevStack, needle: str) -> float:
    """When the worker wrote the first live event containing `needle` (epoch seconds)."""
    with sqlite3.connect(dev.instance / "pandawa.sqlite") as conn:
        (written,) = conn.execute(
            "SELECT min(created_at) FROM live_event WHERE data LIKE ?", (f"%{needle}%",)
        ).fetchone()
    return datetime.fromisoformat(written).replace(tzinfo=UTC).timestamp()


def _console_as_supervisor(dev, page) -> None:
    """Sign in as the demo supervisor `pandawa dev` printed, then open the console."""
    page.goto("/login")
    page.fill("#email", SUPERVISOR)
    page.fill("#password", _password(dev, SUPERVISOR))
    page.click("form button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/console")


def test_worker_events_reach_the_console_without_redis(dev, dev_page):
    page = dev_page
    wait_for(lambda: "Ctrl-C" in dev.output(), 30, "the banner", dev.alive)
    _console_as_supervisor(dev, page)
    indicator = page.locator("#live-state")
    expect(indicator).to_have_text("Langsung")
    expect(indicator).to_have_attribute("data-state", "live")
    page.evaluate(WATCH)

    # a citizen reaches a queue through the simulator: the worker makes the ticket
    first = dev.say("Halo")
    dev.wait_reply(first, "the greeting")
    for answer in handoff_plan():
        dev.wait_reply(dev.say(answer), f"the answer to {answer!r}")

    def ticket_number() -> str | None:
        for reply in dev.replies_after(first):
            if found := TICKET_NUMBER.search(reply["body"]):
                return found.group(0)
        return None

    number = wait_for(ticket_number, REPLY_SECONDS, "a ticket number", dev.alive)
    row = page.locator(f'tr[data-ticket="{number}"]')
    expect(row).to_be_visible(timeout=10_000)  # no reload: the list was refreshed live
    assert page.evaluate("window.__loaded") == "same page"
    shown = page.evaluate(f"window.__seen[{number!r}]") / 1000
    print(f"ticket event written → row shown: {(shown - _event_written_at(dev, number)):.3f} s")
    shot(page, "live-dev-work-list")

    # the ticket open; the citizen writes again: the worker routes it onto the ticket
    row.locator("a").click()
    page.wait_for_url(f"**/console/tickets/{number}")
    expect(page.locator("#live-state")).to_have_text("Langsung")
    page.evaluate(WATCH)
    sent = time.time()
    dev.say("Apakah permohonan saya sudah diproses?")
    bubble = page.locator("#conversation li", has_text="sudah diproses")
    expect(bubble).to_be_visible(timeout=10_000)
    assert page.evaluate("window.__loaded") == "same page"
    print(f"citizen sends → bubble shown: {time.time() - sent:.3f} s")
    message_id = bubble.get_attribute("data-message-id")
    shown = page.evaluate(f"window.__seen['m{message_id}']") / 1000
    written = _event_written_at(dev, f'"message_id":{message_id},')
    print(f"message event written → bubble shown: {shown - written:.3f} s")
    shot(page, "live-dev-ticket")


def test_the_indicator_says_when_the_console_polls(dev, dev_page):
    """A refused stream (every slot taken) leaves the console polling, and the header says so."""
    page = dev_page
    page.route(re.compile(r"/console/events(\?[^/]*)?$"), lambda route: route.fulfill(status=503))
    _console_as_supervisor(dev, page)
    indicator = page.locator("#live-state")
    expect(indicator).to_have_text("Memuat ulang berkala")
    expect(indicator).to_have_attribute("data-state", "polling")
