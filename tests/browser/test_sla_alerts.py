"""An SLA alert appearing on the supervisor's board (issue 17), in headless Chromium against
the real stack: a citizen's ticket waits; at 80 % of its queue's first-response target the
beat's alert shows up on the open board by itself (badge, row, a flash), past 100 % the level
changes, and the supervisor acknowledges it. The rehearsal clock moves time; the beat's work
(`dashboard.record_sla_alerts`) runs at each step as beat would run it every minute."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from pandawa.core.extensions import db
from pandawa.reports.sla_alerts import record_alerts
from pandawa.tickets.models import Queue
from tests.browser.helpers import PASSWORD, make_agent, shot
from tests.stack import TUESDAY_10_WIB, citizen, open_ticket_as

pytestmark = pytest.mark.e2e


def beat(stack) -> int:
    """One run of the minute task at the rehearsal clock's instant."""
    with stack.app.app_context():
        try:
            ids = record_alerts(db.session, stack.clock.now())
            db.session.commit()
            return len(ids)
        finally:
            db.session.remove()


def test_an_sla_alert_appears_escalates_and_is_acknowledged(e2e, fake_twilio, page: Page):
    number, queue_code = open_ticket_as(e2e, fake_twilio, citizen())
    target = e2e.scalar(sa.select(Queue.sla_seconds).where(Queue.code == queue_code))

    email = make_agent(e2e, [], role="supervisor")
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_url(re.compile(r"/dashboard/?$"))
    page.evaluate("window.__notReloaded = true")
    panel = page.locator("#sla-alerts")
    badge = panel.locator("[data-count='sla-alerts']")
    expect(badge).to_have_text("0")
    expect(panel).to_contain_text("Tidak ada peringatan SLA aktif.")

    # 80 % of the target in business time (Tuesday, office open all along)
    e2e.clock.set(TUESDAY_10_WIB + timedelta(seconds=target * 0.8 + 30))
    assert beat(e2e) == 1
    row = panel.locator(f"tr[data-ticket='{number}']")
    expect(badge).to_have_text("1", timeout=20_000)  # the board refreshes every 5 s
    expect(row).to_have_attribute("data-level", "80")
    expect(row).to_contain_text("Tanggapan pertama")
    expect(row).to_contain_text("80 % target")
    expect(panel).to_have_class(re.compile(r"\bhas-alerts\b"))
    expect(page.locator("body")).to_have_attribute("data-sla-new-alerts", "1")  # flashed
    assert page.evaluate("window.__notReloaded") is True
    shot(page, "30-dashboard-sla-alert-80")

    # past the target: the level changes in place, with a new flash
    e2e.clock.set(TUESDAY_10_WIB + timedelta(seconds=target + 60))
    assert beat(e2e) == 1
    expect(row).to_have_attribute("data-level", "100", timeout=20_000)
    expect(row).to_contain_text("Target terlampaui")
    expect(badge).to_have_text("1")  # one ticket, its highest level
    expect(page.locator("body")).to_have_attribute("data-sla-new-alerts", "2")
    shot(page, "31-dashboard-sla-alert-100")

    row.locator("button.sla-ack").click()
    page.wait_for_url(re.compile(r"/dashboard/?$"))
    expect(page.locator(".flash")).to_contain_text(f"Peringatan SLA tiket {number} ditandai")
    expect(page.locator("#sla-alerts [data-count='sla-alerts']")).to_have_text("0")
    expect(page.locator(f"#sla-alerts tr[data-ticket='{number}']")).to_have_count(0)
    assert beat(e2e) == 0  # acknowledged alerts are not raised again
