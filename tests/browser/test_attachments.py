"""The agent sends a file from the ticket page in headless Chromium, against the real stack:
the worker sends it through the fake Twilio, which fetches it from the app's signed URL (the
public base URL routed to gunicorn) and gets the very bytes; the thread shows the file with
its tick. A file of the wrong type is refused with the reason."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import shot
from tests.browser.test_console import claimed_ticket
from tests.harness import PUBLIC_BASE_URL

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n" + b"Surat keterangan domisili. " * 40 + b"\n%%EOF\n"


def test_an_agent_attaches_a_pdf_and_sees_it_sent_in_the_thread(e2e, fake_twilio, page, tmp_path):
    fake_twilio.route_public(PUBLIC_BASE_URL, e2e.base_url)
    who, _number, _ = claimed_ticket(e2e, fake_twilio, page)
    letter = tmp_path / "Surat Domisili.pdf"
    letter.write_bytes(PDF)
    wrong = tmp_path / "foto.pdf"
    wrong.write_bytes(b"GIF89a" + bytes(64))

    page.click("#attach summary")
    page.set_input_files("#attach-file", str(wrong))
    page.click("#attach-form button[type=submit]")
    expect(page.locator(".flash-error")).to_contain_text("Jenis berkas tidak didukung")

    page.click("#attach summary")
    page.set_input_files("#attach-file", str(letter))
    page.fill("#attach-caption", "Surat keterangan domisili Ibu.")
    page.click("#attach-form button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text("Berkas dikirim.")

    sent = fake_twilio.wait_for(lambda ms: any(m.to == who and m.media for m in ms), 30)
    [document] = [m for m in sent if m.to == who and m.media]
    assert document.media[0].content == PDF and document.media[0].problem is None
    fake_twilio.wait_for(
        lambda ms: any(m.to == who and m.body == "Surat keterangan domisili Ibu." for m in ms), 30
    )
    page.reload()
    out = page.locator("#conversation li.bubble.out", has_text="Surat_Domisili.pdf")
    expect(out).to_be_visible()
    expect(out.locator(".ticks")).to_have_attribute("title", "queued")
    expect(out.locator("a.media-link")).to_have_attribute("data-document", "file")
    expect(
        page.locator("#conversation li.bubble.out .body", has_text="Surat keterangan domisili Ibu.")
    ).to_be_visible()
    out.scroll_into_view_if_needed()
    shot(page, "attachment-sent-1366x768")
