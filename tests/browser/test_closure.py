"""Emergency closure from the board in headless Chromium, on the real stack (gunicorn, a Celery
worker, the dispatcher, PostgreSQL, Redis; Twilio faked), issue 17: a supervisor follows the
board's link to the office's hours page and closes the office with a reason; the waiting
citizen receives the closure text with the new time on WhatsApp; at the usual opening the
release lets nothing go; "Batalkan" puts the calendar back and the release then lets the ticket
go, the citizen told a person will reply. Screenshots kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from pandawa.core.extensions import db
from pandawa.tickets.models import Ticket
from pandawa.tickets.release import release_due
from tests.browser.helpers import PASSWORD, make_agent, shot
from tests.stack import TUESDAY_10_WIB, citizen, open_ticket_as, wait_until

pytestmark = pytest.mark.e2e
WEDNESDAY_08_WIB = TUESDAY_10_WIB + timedelta(hours=22)


def _status(stack, number: str) -> str:
    return stack.scalar(sa.select(Ticket.status).where(Ticket.number == number))


def _release(stack, at) -> int:
    """What beat's `tickets.release_deferred` does at `at`, run here (the stack has no beat)."""
    with stack.app.app_context():
        try:
            return release_due(db.session, at)
        finally:
            db.session.commit()
            db.session.remove()


def _sign_in(page: Page, stack) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#email", make_agent(stack, [], role="supervisor"))
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_url(re.compile(r"/dashboard/?$"))


def _texts(fake_twilio, who: str) -> list[str]:
    return [m.body or "" for m in fake_twilio.sent_to(who)]


def test_close_the_office_from_the_board_then_undo(e2e, fake_twilio, page: Page):
    who = citizen()
    number, _queue = open_ticket_as(e2e, fake_twilio, who)
    before = len(fake_twilio.sent_to(who))

    _sign_in(page, e2e)
    office = page.locator("#board .offices li").first
    expect(office).to_contain_text("Buka")
    office.locator("a.office-hours").click()
    page.wait_for_url(re.compile(r"/dashboard/offices/[^/]+/hours$"))
    expect(page.locator("#hours-state")).to_contain_text("Saat ini buka")
    expect(page.locator("#close-until")).to_have_value("2026-12-01T15:00")  # today's closing

    # flooded: closed until Wednesday noon, past Wednesday's usual 08:00 opening
    page.fill("#close-until", "2026-12-02T12:00")
    page.fill("#close-reason", "Banjir di kantor cabang")
    shot(page, "closure-01-close-form-1366x768")
    page.click("#close-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text(
        "ditutup sampai Rabu, 2 Desember 2026 pukul 12.00 WIB. 1 tiket ditunda, 1 warga diberi tahu"
    )
    expect(page.locator("#hours-state")).to_contain_text("Saat ini tutup")
    row = page.locator("#overrides tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td.reason")).to_have_text("Banjir di kantor cabang")
    shot(page, "closure-02-closed-1366x768")
    assert _status(e2e, number) == "deferred"

    # the citizen reads it on WhatsApp, with the new time
    wait_until(lambda: len(fake_twilio.sent_to(who)) > before, 30, what="the closure message")
    told = _texts(fake_twilio, who)[-1]
    assert "ditutup sementara" in told and number in told
    assert "Rabu, 2 Desember 2026 pukul 12.00 WIB" in told

    # Wednesday 08:00, the usual opening: the closure holds, nothing is released
    e2e.clock.set(WEDNESDAY_08_WIB)
    assert _release(e2e, WEDNESDAY_08_WIB) == 0
    assert _status(e2e, number) == "deferred"

    # the water went down: undo; the calendar is normal again and the release lets it go
    e2e.clock.set(WEDNESDAY_08_WIB + timedelta(minutes=5))
    hours_url = page.url
    _sign_in(page, e2e)  # a new day, a new session (SESSION_IDLE_MINUTES)
    page.goto(hours_url)
    page.locator("#overrides button.undo").click()
    expect(page.locator(".flash-success")).to_contain_text("Dibatalkan")
    expect(page.locator("#overrides-none")).to_be_visible()
    expect(page.locator("#hours-state")).to_contain_text("Saat ini buka")
    expect(page.locator("#overrides-history")).to_contain_text("Dibatalkan")
    shot(page, "closure-03-undone-1366x768")
    sent = len(fake_twilio.sent_to(who))
    assert _release(e2e, WEDNESDAY_08_WIB + timedelta(minutes=5)) == 1
    assert _status(e2e, number) == "waiting"
    wait_until(lambda: len(fake_twilio.sent_to(who)) > sent, 30, what="the release message")
    assert "petugas kami akan segera membalas" in _texts(fake_twilio, who)[-1]

    page.goto("/dashboard")
    expect(page.locator("#board .offices li").first).to_contain_text("Buka")
