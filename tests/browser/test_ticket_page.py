"""The ticket page an agent works in (issue 16), in headless Chromium at 1366×768: the reply
box stays in view above a long conversation and a long exchange with the bot, WhatsApp
formatting is rendered (and a script in it stays text), resolve asks first and can be undone."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.core.extensions import db
from pandawa.tickets.models import Ticket
from tests.browser.helpers import DESKTOP, make_agent, shot, sign_in
from tests.stack import citizen, open_ticket_as

pytestmark = pytest.mark.e2e


def add_rows(e2e, number: str, *, bot: int, thread: int) -> None:
    """Real rows in the stack's database: `bot` messages of an exchange with the bot just
    before the ticket (no ticket), and `thread` messages on the ticket, both ways."""
    with e2e.app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        conversation = ticket.conversation_id
        citizen_address = db.session.get(Contact, ticket.contact_id).address
        ours = db.session.scalar(
            sa.select(Message.recipient).where(
                Message.conversation_id == conversation, Message.direction == "in"
            )
        )
        start = ticket.created_at

        def row(i: int, direction: str, body: str, ticket_id: int | None, at) -> Message:
            return Message(
                direction=direction,
                provider="twilio",
                provider_message_id="SM" + uuid.uuid4().hex,
                sender=citizen_address if direction == "in" else ours,
                recipient=ours if direction == "in" else citizen_address,
                body=body,
                status="received" if direction == "in" else "delivered",
                conversation_id=conversation,
                ticket_id=ticket_id,
                media=[],
                extra={},
                created_at=at,
                updated_at=at,
            )

        for i in range(bot):
            at = start - timedelta(minutes=bot - i)
            direction = "in" if i % 2 else "out"
            body = f"Pilihan {i}" if direction == "in" else f"Menu layanan {i}:\n1. KTP\n2. Faskes"
            db.session.add(row(i, direction, body, None, at))
        for i in range(thread):
            at = start + timedelta(minutes=i + 1)
            direction = "in" if i % 3 else "out"
            body = f"Pesan ke-{i}: mohon *segera* _diproses_ ya, terima kasih banyak."
            db.session.add(row(i, direction, body, ticket.id, at))
        db.session.add(
            row(
                0,
                "in",
                "Terakhir: *<script>window.__xss=1</script>*",
                ticket.id,
                start + timedelta(hours=2),
            )
        )
        db.session.commit()
        db.session.remove()


def in_view(page: Page, selector: str) -> bool:
    """The whole element inside the window (not just a corner of it)."""
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
           return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight
                  && r.right <= window.innerWidth; }""",
        selector,
    )


def test_reply_box_in_view_at_1366x768_with_long_bot_history_and_many_messages(
    e2e, fake_twilio, page
):
    who = citizen()
    number, queue_code = open_ticket_as(e2e, fake_twilio, who)
    add_rows(e2e, number, bot=24, thread=60)
    sign_in(page, make_agent(e2e, [queue_code]))
    page.click("#claim-next")
    page.wait_for_url(f"**/console/tickets/{number}")
    assert page.viewport_size == DESKTOP

    # the reply box and its button are whole in the window; the page itself does not scroll
    assert in_view(page, "#reply-body") and in_view(page, "#reply button[type=submit]")
    assert page.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight + 1")
    # the conversation scrolls in its own box, which opens at the newest message
    conversation = page.locator("#conversation")
    assert conversation.evaluate("el => el.scrollHeight > el.clientHeight + 100")
    newest = page.locator("#conversation li.bubble").last
    expect(newest).to_be_in_viewport()
    # WhatsApp formatting rendered; the script in the citizen's bold is text and never ran
    expect(newest.locator(".body strong")).to_have_text("<script>window.__xss=1</script>")
    expect(page.locator("#conversation .body strong", has_text="segera").first).to_be_attached()
    assert page.evaluate("window.__xss") is None
    # the exchange with the bot is folded away until asked for
    history = page.locator("details.before-ticket")
    expect(history).not_to_have_attribute("open", "")
    shot(page, "10-ticket-long-history-1366x768")

    # opened, it scrolls in its own box and the reply box stays in view
    history.locator("summary").click()
    expect(history.locator("ol.conversation.before")).to_be_visible()
    assert in_view(page, "#reply-body") and in_view(page, "#reply button[type=submit]")
    shot(page, "11-ticket-bot-history-open-1366x768")

    # keyboard: the reply box is reached by Tab and takes text
    page.locator("#reply-body").focus()
    page.keyboard.type("Baik, Ibu.")
    expect(page.locator("#reply-body")).to_have_value("Baik, Ibu.")
    # collected details fold too
    details = page.locator("details.panel")
    details.locator("summary").click()
    expect(details.locator("dl.details")).to_be_hidden()


def test_resolve_asks_first_and_undo_reopens_as_it_was(e2e, fake_twilio, page):
    from pandawa.catalog.queries import active_catalog

    who = citizen()
    number, queue_code = open_ticket_as(e2e, fake_twilio, who)
    sign_in(page, make_agent(e2e, [queue_code]))
    page.click("#claim-next")
    page.wait_for_url(f"**/console/tickets/{number}")

    # the button asks first; Esc keeps the ticket as it is
    page.click("#resolve-form button[type=submit]")
    dialog = page.get_by_role("dialog", name=f"Tandai tiket {number} selesai?")
    expect(dialog).to_be_visible()
    expect(page.locator("#resolve-confirm")).to_be_focused()
    shot(page, "12-resolve-dialog-1366x768")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#ticket-status")).to_have_text("Ditangani")

    page.click("#resolve-form button[type=submit]")
    page.click("#resolve-confirm")
    page.wait_for_url(re.compile(r"/console/?$"))
    offer = page.locator("#undo-offer")
    expect(offer).to_contain_text(f"pertanyaan penilaian tiket {number} dikirim ke warga")
    expect(page.locator("#undo-countdown")).to_have_text(re.compile(r"^\d+$"))
    shot(page, "13-undo-offer-1366x768")
    assert e2e.scalar(sa.select(Ticket.status).where(Ticket.number == number)) == "resolved"

    page.click("#undo-resolve")
    page.wait_for_url(f"**/console/tickets/{number}")
    expect(page.locator(".flash-success")).to_contain_text(
        f"Penyelesaian tiket {number} diurungkan"
    )
    expect(page.locator("#ticket-status")).to_have_text("Ditangani")
    expect(page.locator("#reply-body")).to_be_editable()  # held by the same agent again

    # resolved for good: the citizen gets the closing message once, after the undo period —
    # the undone resolution's delayed task (published earlier) tells nothing
    before = len(fake_twilio.sent_to(who))
    page.click("#resolve-form button[type=submit]")
    page.click("#resolve-confirm")
    page.wait_for_url(re.compile(r"/console/?$"))
    with e2e.app.app_context():
        closing = active_catalog().text("ticket_resolved", "id", ticket=number)
    fake_twilio.wait_for(lambda ms: any(closing in (m.body or "") for m in ms if m.to == who), 60)
    after = [m.body or "" for m in fake_twilio.sent_to(who)[before:]]
    assert sum(closing in body for body in after) == 1, after


def test_closed_window_shows_the_template_that_goes_first(e2e, fake_twilio, page):
    from pandawa.citizens.models import Conversation

    who = citizen()
    number, queue_code = open_ticket_as(e2e, fake_twilio, who)
    sign_in(page, make_agent(e2e, [queue_code]))
    page.click("#claim-next")
    page.wait_for_url(f"**/console/tickets/{number}")
    with e2e.app.app_context():  # the citizen last wrote 30 hours ago
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        conversation = db.session.get(Conversation, ticket.conversation_id)
        conversation.last_inbound_at = conversation.last_inbound_at - timedelta(hours=30)
        db.session.commit()
        db.session.remove()
    page.reload()
    window = page.locator("#window")
    expect(window).to_have_attribute("data-open", "false")
    expect(window).to_contain_text("Templat yang akan dikirim lebih dulu (window_reopen)")
    expect(page.locator("#window-template")).to_contain_text(f"Tiket {number} Bapak/Ibu siap")
    assert in_view(page, "#reply-body") and in_view(page, "#reply button[type=submit]")
    shot(page, "14-window-closed-template-1366x768")


def test_without_script_resolve_asks_on_a_page_and_undo_still_works(e2e, fake_twilio, browser):
    who = citizen()
    number, queue_code = open_ticket_as(e2e, fake_twilio, who)
    email = make_agent(e2e, [queue_code])
    context = browser.new_context(
        viewport=DESKTOP, base_url=e2e.base_url, locale="id-ID", java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in(page, email)
        page.click("#claim-next")
        page.wait_for_url(f"**/console/tickets/{number}")
        page.click("#resolve-form button[type=submit]")
        expect(page.locator("h2#resolve-dialog-title")).to_have_text(
            f"Tandai tiket {number} selesai?"
        )
        assert e2e.scalar(sa.select(Ticket.status).where(Ticket.number == number)) == "assigned"
        shot(page, "15-resolve-confirm-page-no-script-1366x768")
        page.click("#resolve-confirm")
        page.wait_for_url(re.compile(r"/console/?$"))
        page.click("#undo-resolve")
        page.wait_for_url(f"**/console/tickets/{number}")
        expect(page.locator("#ticket-status")).to_have_text("Ditangani")
    finally:
        context.close()
