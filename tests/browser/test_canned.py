"""Canned responses in headless Chromium, as a supervisor and then an agent use them: the
supervisor writes an answer for her queue, previews it filled with a real ticket's values and
saves it; the agent finds it in the reply box of that ticket, filled in, ready to send."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import make_agent, shot
from tests.harness import PASSWORD
from tests.stack import citizen, open_ticket_as

pytestmark = pytest.mark.e2e

BODY = "Bapak/Ibu {nama}, tiket {nomor_tiket} kami proses di {kantor} ({jam_buka})."


def sign_in_as(page: Page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_url(re.compile(r"/(console|dashboard)"))


def test_a_supervisor_writes_and_previews_an_answer_the_agent_then_uses(e2e, fake_twilio, page):
    number, queue_code = open_ticket_as(e2e, fake_twilio, citizen())
    sign_in_as(page, make_agent(e2e, [queue_code], role="supervisor"))

    page.click("#nav-canned")
    page.wait_for_url("**/console/canned")
    # a fresh deploy's shipped answers are there (global: read only for a one-queue supervisor)
    shipped = page.locator("#canned-list tr", has_text="Salam pembuka")
    expect(shipped).to_contain_text("Hanya dapat dibaca")

    page.click("#canned-new")
    page.fill("#canned-title", "Sedang diproses")
    page.fill("#canned-body", "Halo {nma}")
    page.click("#canned-save")
    expect(page.locator("#canned-errors")).to_contain_text("Variabel {nma} tidak dikenal")
    expect(page.locator("#canned-title")).to_have_value("Sedang diproses")  # kept

    page.fill("#canned-body", BODY)
    page.fill("#canned-ticket", number)
    page.click("#canned-preview-button")
    preview = page.locator("#canned-preview-text")
    expect(preview).to_contain_text(f"Bapak/Ibu Siti Rahayu, tiket {number} kami proses di ")
    expect(preview).to_contain_text("pukul 08.00")
    expect(preview).not_to_contain_text("{")
    shot(page, "canned-01-preview-1366x768")

    page.click("#canned-save")
    page.wait_for_url(f"**/console/canned?queue={queue_code}")
    expect(page.locator(".flash-success")).to_contain_text("Sedang diproses")
    expect(page.locator("#canned-list tr.active", has_text="Sedang diproses")).to_be_visible()
    shot(page, "canned-02-list-1366x768")

    # the agent of the queue: the answer in the reply box, filled with the ticket's values
    page.locator("form[action='/logout'] button").click()
    sign_in_as(page, make_agent(e2e, [queue_code]))
    page.click("#claim-next")
    page.wait_for_url(f"**/console/tickets/{number}")
    page.locator("details.canned summary").click()
    page.locator("details.canned button", has_text="Sedang diproses").click()
    reply = page.locator("#reply-body")
    expect(reply).to_have_value(re.compile(rf"^Bapak/Ibu Siti Rahayu, tiket {number} kami"))
    assert "{" not in reply.input_value()
    shot(page, "canned-03-reply-box-1366x768")
