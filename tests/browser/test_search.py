"""Search in headless Chromium, from the keyboard as an agent works: `/` on the work list, the
last four digits of the citizen's number, Enter; ↓ and Enter open the ticket. The number is
shown masked in the results."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import make_agent, shot, sign_in
from tests.stack import citizen, open_ticket_as

pytestmark = pytest.mark.e2e


def test_slash_last_four_digits_enter_then_arrows_open_the_ticket(e2e, fake_twilio, page):
    who = citizen()
    number, queue_code = open_ticket_as(e2e, fake_twilio, who)
    sign_in(page, make_agent(e2e, [queue_code]))
    digits = who.removeprefix("whatsapp:+")

    page.keyboard.press("/")
    expect(page.locator("#shell-search")).to_be_focused()
    page.keyboard.type(digits[-4:])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/search\?q="))

    row = page.locator(f"#results tr[data-ticket='{number}']")
    expect(row).to_be_visible()
    expect(row.locator("td.name")).to_have_text("Siti Rahayu")
    phone = row.locator("td.phone").inner_text()
    assert digits not in phone.replace(" ", "") and phone.endswith(digits[-4:])  # masked
    assert digits not in page.content()
    first = page.locator("#results a[data-result]").first
    expect(first).to_be_focused()  # after a search the first result waits for Enter
    shot(page, "search-results-1366x768")

    # back to the box with /, down to the results with ↓, up again with ↑
    page.keyboard.press("/")
    box = page.locator("#search-q")
    expect(box).to_be_focused()
    expect(box).to_have_value(digits[-4:])
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/tickets/{number}")
    expect(page.locator("h1")).to_contain_text(number)


def test_nothing_found_and_a_too_short_search_say_so(e2e, fake_twilio, page):
    who = citizen()
    _number, queue_code = open_ticket_as(e2e, fake_twilio, who)
    sign_in(page, make_agent(e2e, [queue_code]))
    page.goto("/console/search")
    box = page.locator("#search-q")
    expect(box).to_be_focused()  # the search page opens ready to type
    box.fill("Tidak Ada Nama Seperti Ini")
    box.press("Enter")
    expect(page.locator("#no-results")).to_have_text(
        "Tidak ada tiket yang cocok dengan pencarian Anda."
    )
    page.locator("#search-q").fill("ab")
    page.locator("#search-q").press("Enter")
    expect(page.locator("#search-error")).to_contain_text("minimal 3 karakter")
