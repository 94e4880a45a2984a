"""Blocking an abusive number in headless Chromium, on the real stack (gunicorn, a Celery worker,
PostgreSQL, Redis; Twilio faked): the agent blocks from the ticket page with a reason, the
number's next messages are stored but get no answer from the worker, a supervisor sees it on
`/dashboard/blocked` and unblocks it, and the bot answers again. Screenshots kept."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from pandawa.channels.models import Message
from tests.browser.helpers import PASSWORD, make_agent, shot, sign_in
from tests.stack import (
    TUESDAY_10_WIB,
    citizen,
    count,
    inbound_form,
    open_ticket_as,
    sid,
    wait_until,
)

pytestmark = pytest.mark.e2e


def _processed(stack, who: str) -> int:
    return count(
        stack,
        sa.select(Message.id).where(
            Message.direction == "in", Message.sender == who, Message.processed_at.is_not(None)
        ),
    )


def test_block_from_the_ticket_then_unblock_on_the_dashboard(e2e, fake_twilio, page: Page):
    who = citizen()
    number, queue_code = open_ticket_as(e2e, fake_twilio, who)
    sign_in(page, make_agent(e2e, [queue_code]))
    e2e.clock.set(TUESDAY_10_WIB + timedelta(minutes=1))  # the agent reads, then blocks
    page.goto(f"/console/tickets/{number}")
    page.click("#block-title")
    page.fill("#block-reason", "Kata-kata kasar kepada petugas")
    shot(page, "blocking-01-ticket-block-form-1366x768")
    page.click("#block-form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/?$"))
    expect(page.locator(".flash-success")).to_contain_text("Nomor diblokir")
    expect(page.locator(f"#tickets tr[data-ticket='{number}']")).to_have_count(0)

    # a minute later the number writes on: stored and processed by the worker, never answered
    e2e.clock.set(TUESDAY_10_WIB + timedelta(minutes=2))
    replies = len(fake_twilio.sent_to(who))
    before = _processed(e2e, who)
    for body in ("halo", "petugas", "dasar!!"):
        assert e2e.post_webhook(inbound_form(sid(), who, body)).status_code == 200
    wait_until(lambda: _processed(e2e, who) == before + 3, 30, what="processed")
    time.sleep(1)  # the outbox would have sent a reply by now
    assert len(fake_twilio.sent_to(who)) == replies

    page.context.clear_cookies()  # the supervisor at another desk
    page.goto("/login")
    page.fill("#email", make_agent(e2e, [], role="supervisor"))
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_url(re.compile(r"/dashboard/?$"))
    page.click("nav.dash-nav >> text=Nomor diblokir")
    row = page.locator("#blocked tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td.reason")).to_have_text("Kata-kata kasar kepada petugas")
    expect(row.locator("td.messages")).to_have_text("3")
    assert who.removeprefix("whatsapp:+") not in row.locator("td.phone").inner_text()
    shot(page, "blocking-02-dashboard-blocked-1366x768")
    row.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("Blokir nomor dibuka")
    expect(page.locator("#blocked-none")).to_be_visible()

    assert e2e.post_webhook(inbound_form(sid(), who, "halo")).status_code == 200
    wait_until(lambda: len(fake_twilio.sent_to(who)) > replies, 30, what="the bot's answer")
