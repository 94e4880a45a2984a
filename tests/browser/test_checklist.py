"""The checklist on the agent's ticket page (issue 17, item 10), in headless Chromium against
the real stack: a citizen walks "Perubahan data" through the webhook — the Dukcapil check, NIK,
the change, a KTP photo, the KK as a PDF, the optional document skipped — and the agent who
claims the ticket sees each item ticked, the documents opening from the checklist."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from pandawa.channels.models import Message
from tests.browser.helpers import make_agent, shot, sign_in
from tests.stack import citizen, inbound_form, sid, wait_until

pytestmark = pytest.mark.e2e

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def say(stack, fake_twilio, who: str, body: str, **extra) -> str:
    before = len(fake_twilio.sent_to(who))
    assert stack.post_webhook({**inbound_form(sid(), who, body), **extra}).status_code == 200
    wait_until(lambda: len(fake_twilio.sent_to(who)) > before, 30, what="bot reply")
    return fake_twilio.sent_to(who)[-1].body


def file_form(fake_twilio, content: bytes, content_type: str) -> dict[str, str]:
    return {
        "NumMedia": "1",
        "MessageType": "image" if content_type.startswith("image/") else "document",
        "MediaUrl0": fake_twilio.add_media(content, content_type),
        "MediaContentType0": content_type,
    }


def test_the_agent_sees_the_checklist_ticked_and_opens_the_documents(e2e, fake_twilio, page):
    who = citizen()
    for body in ("Halo", "2"):
        say(e2e, fake_twilio, who, body)
    overview = say(e2e, fake_twilio, who, "3")
    assert "• Foto atau PDF KTP-el peserta (wajib)" in overview
    assert "NIK" in say(e2e, fake_twilio, who, "ya")
    say(e2e, fake_twilio, who, "3174015708900001")
    assert "KTP-el" in say(e2e, fake_twilio, who, "Menambahkan anak ke KK")
    assert "Kartu Keluarga" in say(
        e2e, fake_twilio, who, "", **file_form(fake_twilio, JPEG, "image/jpeg")
    )
    say(e2e, fake_twilio, who, "", **file_form(fake_twilio, PDF, "application/pdf"))
    done = say(e2e, fake_twilio, who, "lewati")
    assert "PDW-" in done
    number = done.split("*PDW-")[1].split("*")[0]
    number = f"PDW-{number}"

    def stored() -> bool:
        rows = e2e.rows(sa.select(Message.media).where(Message.sender == who))
        files = [item for row in rows for item in (row.media or [])]
        return len(files) == 2 and all(item.get("status") == "stored" for item in files)

    wait_until(stored, 30, what="both documents stored")

    sign_in(page, make_agent(e2e, ["KEPESERTAAN"]))
    page.click("#claim-next")
    page.wait_for_url(f"**/console/tickets/{number}")

    items = page.locator("ul.checklist li.checklist-item")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_have_attribute("data-state", "met")
    expect(items.nth(0).locator(".answer")).to_have_text("Jawaban: ya")
    expect(items.nth(1)).to_have_attribute("data-state", "received")
    expect(items.nth(2)).to_have_attribute("data-state", "received")
    expect(items.nth(3)).to_have_attribute("data-state", "skipped")
    expect(items.nth(3).locator(".state")).to_have_text("dilewati")
    expect(items.nth(1).locator(".mark")).to_have_text("✔")
    shot(page, "40-ticket-checklist")

    ktp = items.nth(1).locator("a.media-link")
    href = ktp.get_attribute("href")
    assert href and href.startswith(f"/console/tickets/{number}/media/")
    opened = page.request.get(href)
    assert opened.status == 200 and opened.body() == JPEG
    kk = page.request.get(items.nth(2).locator("a.media-link").get_attribute("href"))
    assert kk.status == 200 and kk.headers["content-type"] == "application/pdf"
