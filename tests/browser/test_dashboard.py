"""The supervisor dashboard in headless Chromium against the real stack (gunicorn with two
workers, Celery, PostgreSQL, Redis): the board updates by itself when an agent claims a ticket
through the API, the SLA breach is written on the board, the figures page draws its charts
and every bar leads to the tickets behind it. Screenshots at 1366×768 and on a 1920×1080 wall
screen are kept in test-artifacts/browser/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.helpers import ARTIFACTS, PASSWORD, make_agent, shot
from tests.stack import TUESDAY_10_WIB, agent_token, citizen, open_ticket_as

pytestmark = pytest.mark.e2e
WALL = {"width": 1920, "height": 1080}


def sign_in_supervisor(page: Page, stack) -> None:
    email = make_agent(stack, [], role="supervisor")
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_url(re.compile(r"/dashboard/?$"))  # `/` sends supervisors to the board


def card(page: Page, queue_code: str):
    return page.locator(f"#board article.qcard[data-queue='{queue_code}']")


def full_shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_board_follows_a_claim_without_reloading(e2e, fake_twilio, page):
    number, queue_code = open_ticket_as(e2e, fake_twilio, citizen())
    # an hour later (still office hours): the ticket has waited past its 30-minute target
    e2e.clock.set(TUESDAY_10_WIB + timedelta(hours=1))
    sign_in_supervisor(page, e2e)
    page.evaluate("window.__notReloaded = true")

    queue = card(page, queue_code)
    expect(queue.locator("dd[data-count='waiting']")).to_have_text("1")
    expect(queue.locator("dd[data-count='assigned']")).to_have_text("0")
    expect(queue).to_have_class(re.compile(r"\bbreached\b"))
    expect(queue.locator(".alert")).to_contain_text("MELEWATI TARGET SLA")  # words, not colour
    expect(queue.locator("dd[data-oldest]")).to_have_text(re.compile(r"^1 j 0\d m$"))
    expect(page.locator("#board .offices li").first).to_contain_text("Buka")
    shot(page, "10-dashboard-board-1366x768")
    page.set_viewport_size(WALL)
    shot(page, "11-dashboard-board-wall-1920x1080")

    token = agent_token(e2e, queue_code, email="penarik@example.go.id")
    claimed = requests.post(
        f"{e2e.base_url}/api/v1/tickets/claim",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert claimed.status_code == 200 and claimed.json()["number"] == number

    # the page polls /dashboard/board every 5 s: the counts change in place
    expect(queue.locator("dd[data-count='waiting']")).to_have_text("0", timeout=20_000)
    expect(queue.locator("dd[data-count='assigned']")).to_have_text("1")
    expect(queue).not_to_have_class(re.compile(r"\bbreached\b"))
    expect(page.locator("#board-stale")).to_be_hidden()
    assert page.evaluate("window.__notReloaded") is True  # the same page, not a reload
    shot(page, "12-dashboard-board-after-claim-1920x1080")


def test_figures_charts_lead_to_the_tickets_behind_them(e2e, fake_twilio, page):
    number, queue_code = open_ticket_as(e2e, fake_twilio, citizen())
    sign_in_supervisor(page, e2e)
    page.goto("/dashboard/figures")

    row = page.locator(f"#by-queue tr[data-key='{queue_code}']")
    expect(row.locator("td[data-figure='created']")).to_have_text("1")
    hour_chart = page.locator("svg#chart-hour")
    expect(hour_chart).to_be_visible()
    assert hour_chart.locator("rect.bar").count() == 24
    # the ticket was created at 10.00 WIB: one bar with a value, a link named in words
    bar = hour_chart.locator("a[aria-label='Pukul 10.00–10.59: 1 tiket']")
    expect(bar).to_have_count(1)
    full_shot(page, "13-dashboard-figures-1366x768-full")
    shot(page, "14-dashboard-figures-1366x768")

    bar.click()
    page.wait_for_url(re.compile(r"/dashboard/tickets\?.*hour=10"))
    expect(page.locator("#filter-words")).to_contain_text("dibuat pukul 10.00–10.59")
    expect(page.locator(f"#drill tr[data-ticket='{number}']")).to_be_visible()
    phone = page.locator(f"#drill tr[data-ticket='{number}'] td.phone").inner_text()
    assert "*" in phone  # a supervisor sees the number masked
    expect(page.locator("#csv")).to_have_attribute("href", re.compile(r"tickets\.csv\?.*hour=10"))
    shot(page, "15-dashboard-tickets-1366x768")

    page.set_viewport_size(WALL)
    page.goto("/dashboard/figures")
    full_shot(page, "16-dashboard-figures-1920x1080-full")
