"""An agent sends the citizen a photo or a PDF from the ticket page: checked by content and
size, stored, one outbound row through the outbox, fetched by the (fake) provider from a signed,
expiring URL on the app itself — served here by a real HTTP server the fake reaches as it would
reach PUBLIC_BASE_URL."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from pandawa.audit.models import AuditEvent
from pandawa.channels.media_links import media_url
from pandawa.channels.models import Message
from pandawa.channels.outbox import release_held
from pandawa.citizens.models import Conversation
from pandawa.core.clock import now
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.privacy.erasure import erase_citizen, remove_files
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import Queue
from tests.channels import conftest as channel_fixtures
from tests.channels.conftest import send_pending
from tests.fakes.twilio import MEDIA_DOWNLOAD_FAILED
from tests.harness import PUBLIC_BASE_URL, csrf_token, sign_in, with_password

# the channel tests' fixture: a task run in this process as a worker runs it
run_task = channel_fixtures.run_task

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(300)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n" + b"Surat keterangan " * 50 + b"\n%%EOF\n"
GIF = b"GIF89a" + bytes(100)
EXE = b"MZ\x90\x00" + bytes(100)


@pytest.fixture
def media_dir(app, tmp_path, monkeypatch) -> Path:
    """The app's settings with a media folder of this test's own (and small limits, so a file
    over them stays small)."""
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(
            settings,
            media_dir=tmp_path,
            attachment_max_image_bytes=2_000,
            attachment_max_pdf_bytes=4_000,
        ),
    )
    return tmp_path


@pytest.fixture
def agent(session, make_user, make_queue):
    queue = make_queue("SURAT")
    return with_password(make_user("agen.surat@example.go.id", queues=[queue])), queue


@pytest.fixture
def held_ticket(agent, make_ticket):
    user, queue = agent
    return make_ticket(queue=queue, status="assigned", assignee=user)


@pytest.fixture
def public_site(app, connection, fake_twilio):
    """The app served over real HTTP, reached by the fake provider as PUBLIC_BASE_URL."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake_twilio.reset()
    fake_twilio.route_public(PUBLIC_BASE_URL, f"http://127.0.0.1:{server.server_port}")
    yield fake_twilio
    server.shutdown()
    fake_twilio.reset()


def attach(client, number: str, content: bytes, name: str, caption: str = "", **kwargs):
    path = f"/console/tickets/{number}"
    token = kwargs.pop("token", None) or csrf_token(client, path)
    return client.post(
        f"{path}/attach",
        data={"csrf_token": token, "caption": caption, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        **kwargs,
    )


def rows_of(ticket) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
        )
    )


def test_a_pdf_reaches_the_provider_which_fetches_the_same_bytes(
    signed_in, held_ticket, media_dir, public_site, run_task, app
):
    response = attach(
        signed_in, held_ticket.number, PDF, "Surat Keterangan Domisili.pdf", "Ini suratnya"
    )
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Berkas dikirim." in page

    document, caption = rows_of(held_ticket)
    assert (document.direction, document.status, document.message_type) == (
        "out",
        "pending",
        "document",
    )
    [item] = document.media
    assert item["content_type"] == "application/pdf" and item["size"] == len(PDF)
    assert item["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert item["filename"] == "Surat_Keterangan.pdf"  # Twilio: no spaces, ≤ 20 characters
    assert (media_dir / item["stored_name"]).read_bytes() == PDF
    # WhatsApp shows no caption under a document: it follows as its own text
    assert caption.body == "Ini suratnya" and caption.media == [] and document.body == ""
    assert caption.author_id == document.author_id == held_ticket.assignee_id

    assert send_pending(app, run_task) == [document.id, caption.id]
    sent = public_site.sent_to(document.recipient)
    assert [m.body for m in sent] == [None, "Ini suratnya"]
    url = sent[0].form["MediaUrl"]
    assert url.startswith(PUBLIC_BASE_URL + "/media/out/")
    [fetched] = sent[0].media
    assert fetched.content == PDF and fetched.problem is None
    assert fetched.content_type == "application/pdf" and fetched.head_status == 200
    assert "filename=Surat_Keterangan.pdf" in fetched.content_disposition
    assert sent[0].status == "queued"
    assert [m.status for m in rows_of(held_ticket)] == ["queued", "queued"]


def test_a_photo_goes_with_its_caption_and_shows_in_the_thread_with_its_tick(
    signed_in, held_ticket, media_dir, public_site, run_task, app
):
    assert (
        attach(signed_in, held_ticket.number, PNG, "formulir.png", "Formulir F1.01").status_code
        == 302
    )
    [row] = rows_of(held_ticket)
    assert (row.message_type, row.body) == ("image", "Formulir F1.01")
    send_pending(app, run_task)
    [sent] = public_site.sent_to(row.recipient)
    assert sent.body == "Formulir F1.01" and sent.media[0].content == PNG

    page = signed_in.get(f"/console/tickets/{held_ticket.number}").get_data(as_text=True)
    bubble = re.search(rf'<li data-message-id="{row.id}".*?</li>', page, re.S).group(0)
    assert "Formulir F1.01" in bubble and "formulir.png" in bubble and "image/png" in bubble
    assert 'class="ticks ticks-queued"' in bubble
    link = re.search(r'href="([^"]+/media/\d+/0)"', bubble).group(1)
    opened = signed_in.get(link)  # staff open it through the audited media route
    assert opened.status_code == 200 and opened.data == PNG
    opened.close()


def test_the_type_is_the_content_s_not_the_name_s(signed_in, held_ticket, media_dir):
    for content, name in ((EXE, "surat.pdf"), (GIF, "foto.jpg"), (b"halo", "catatan.txt")):
        response = attach(signed_in, held_ticket.number, content, name, follow_redirects=True)
        text = response.get_data(as_text=True)
        assert "Jenis berkas tidak didukung" in text and "Unsupported file type" in text
    assert rows_of(held_ticket) == []
    assert list(media_dir.iterdir()) == []  # nothing kept
    # a JPEG named .pdf is a photo: stored and sent as one, under the right extension
    assert attach(signed_in, held_ticket.number, JPEG, "scan.pdf").status_code == 302
    [row] = rows_of(held_ticket)
    assert row.message_type == "image" and row.media[0]["content_type"] == "image/jpeg"
    assert row.media[0]["filename"] == "scan.jpg"


def test_files_over_their_limit_are_refused_with_the_reason(signed_in, held_ticket, media_dir):
    big_photo = JPEG + bytes(2_000)
    text = attach(signed_in, held_ticket.number, big_photo, "a.jpg", follow_redirects=True)
    text = text.get_data(as_text=True)
    assert "Foto terlalu besar: paling besar 0.002 MB" in text
    assert "Image too large" in text
    big_pdf = PDF + bytes(4_000)
    text = attach(signed_in, held_ticket.number, big_pdf, "a.pdf", follow_redirects=True)
    assert "Dokumen PDF terlalu besar" in text.get_data(as_text=True)
    # a PDF may be larger than a photo
    assert attach(signed_in, held_ticket.number, PDF + bytes(2_500), "b.pdf").status_code == 302
    assert [r.message_type for r in rows_of(held_ticket)] == ["document"]
    assert len(list(media_dir.iterdir())) == 1


def test_a_request_over_the_whole_limit_is_refused_before_it_is_read(
    signed_in, held_ticket, media_dir
):
    huge = PDF + bytes(200_000)  # over the largest limit and the form's allowance
    response = attach(signed_in, held_ticket.number, huge, "a.pdf", follow_redirects=True)
    assert "Berkas terlalu besar" in response.get_data(as_text=True)
    assert rows_of(held_ticket) == [] and list(media_dir.iterdir()) == []


def test_without_the_csrf_token_nothing_is_sent(signed_in, held_ticket, media_dir):
    response = signed_in.post(
        f"/console/tickets/{held_ticket.number}/attach",
        data={"file": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    response = attach(signed_in, held_ticket.number, PDF, "a.pdf", token="forged")
    assert response.status_code == 400
    assert rows_of(held_ticket) == [] and list(media_dir.iterdir()) == []


def test_another_queue_s_ticket_is_404_and_nothing_is_kept(
    signed_in, make_ticket, make_queue, make_user, media_dir
):
    other = make_ticket(queue=make_queue("PAJAK"), status="assigned", assignee=make_user())
    token = csrf_token(signed_in, "/console")
    response = attach(signed_in, other.number, PDF, "a.pdf", token=token)
    assert response.status_code == 404
    assert rows_of(other) == [] and list(media_dir.iterdir()) == []


def test_a_ticket_not_held_by_the_agent_is_refused(signed_in, agent, make_ticket, media_dir):
    _user, queue = agent
    waiting = make_ticket(queue=queue, status="waiting")
    response = attach(signed_in, waiting.number, PDF, "a.pdf", follow_redirects=True)
    assert "ambil tiket dahulu" in response.get_data(as_text=True)
    assert rows_of(waiting) == [] and list(media_dir.iterdir()) == []


def test_the_send_is_audited(signed_in, held_ticket, media_dir):
    attach(signed_in, held_ticket.number, PDF, "a.pdf")
    [row] = rows_of(held_ticket)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "document_send"))
    assert event.ticket_number == held_ticket.number
    assert event.actor_id == held_ticket.assignee_id and event.contact_id == held_ticket.contact_id
    assert event.field == f"document.{row.id}.0"
    assert event.details["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_the_link_expires_and_a_tampered_one_is_unknown(
    client, signed_in, held_ticket, media_dir, clock, app
):
    attach(signed_in, held_ticket.number, PDF, "a.pdf")
    [row] = rows_of(held_ticket)
    with app.test_request_context():
        url = media_url(settings_of(app), row.id, 0)
    path = url.removeprefix(PUBLIC_BASE_URL)
    anonymous = app.test_client()
    fetched = anonymous.get(path)
    assert fetched.status_code == 200 and fetched.data == PDF
    assert fetched.headers["Content-Type"] == "application/pdf"
    fetched.close()
    head = anonymous.head(path)  # Twilio asks HEAD too
    assert head.status_code == 200
    head.close()
    token = path.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert anonymous.get(f"/media/out/{tampered}").status_code == 404
    assert anonymous.get(f"/media/out/{row.id}").status_code == 404
    clock.advance(seconds=3599)
    still = anonymous.get(path)
    assert still.status_code == 200
    still.close()
    clock.advance(seconds=1)
    assert anonymous.get(path).status_code == 410


def test_a_provider_fetching_after_expiry_fails_the_message(
    signed_in, held_ticket, media_dir, public_site, run_task, app, clock, post_signed
):
    """The link is signed at the send; a provider that fetched it more than an hour later
    gets 410, fails the message (63019) and says so: the agent sees ✗ on the file."""
    attach(signed_in, held_ticket.number, JPEG, "ktp.jpg")
    [row] = rows_of(held_ticket)
    public_site.before_fetch = lambda url: clock.advance(hours=1, seconds=1)
    send_pending(app, run_task)
    [sent] = public_site.sent_to(row.recipient)
    assert sent.media[0].status == 410 and sent.status == "failed"
    assert public_site.flush_callbacks() == [200]
    [row] = rows_of(held_ticket)
    assert (row.status, row.error_code) == ("failed", str(MEDIA_DOWNLOAD_FAILED))
    page = signed_in.get(f"/console/tickets/{held_ticket.number}").get_data(as_text=True)
    assert f'ticks-failed" title="failed" aria-label="failed">✗ {MEDIA_DOWNLOAD_FAILED}' in page


def test_past_the_window_the_file_waits_and_goes_later_with_a_fresh_link(
    client, make_user, make_ticket, make_conversation, media_dir, public_site, run_task, app, clock
):
    """As a text reply: held while the approved template asks the citizen to answer; sent
    when they do — hours later, with a link signed then, which the provider can still fetch."""
    load_default(db.session)  # the catalogue's window_reopen template, office and queue
    office = db.session.scalar(sa.select(Office).order_by(Office.id).limit(1))
    queue = db.session.scalar(sa.select(Queue).where(Queue.code == "KEPESERTAAN"))
    user = with_password(make_user(queues=[queue]))
    conversation = make_conversation(office=office)
    conversation.last_inbound_at = now() - timedelta(hours=30)
    ticket = make_ticket(queue=queue, status="assigned", assignee=user, conversation=conversation)
    assert sign_in(client, user.email).status_code == 302

    response = attach(client, ticket.number, JPEG, "kk.jpg", follow_redirects=True)
    assert "Berkas ditahan; templat dikirim terlebih dahulu." in response.get_data(as_text=True)
    template, held = rows_of(ticket)
    assert template.content_sid and template.status == "pending"
    assert (held.status, held.message_type) == ("held", "image")
    send_pending(app, run_task)
    assert [m.content_sid is not None for m in public_site.sent_to(held.recipient)] == [True]

    clock.advance(hours=5)  # the citizen answers in the afternoon
    assert release_held(db.session, conversation.id) == 1
    db.session.commit()
    assert send_pending(app, run_task) == [held.id]
    file_sent = public_site.sent_to(held.recipient)[-1]
    assert file_sent.media[0].content == JPEG and file_sent.status == "queued"


def test_without_a_reopening_template_past_the_window_nothing_is_kept(
    signed_in, held_ticket, media_dir
):
    conversation = db.session.get(Conversation, held_ticket.conversation_id)
    conversation.last_inbound_at = now() - timedelta(hours=30)
    db.session.flush()
    response = attach(signed_in, held_ticket.number, PDF, "a.pdf", follow_redirects=True)
    assert "jendela 24 jam WhatsApp sudah tertutup" in response.get_data(as_text=True)
    assert rows_of(held_ticket) == [] and list(media_dir.iterdir()) == []


def test_the_api_lists_and_serves_the_agent_s_file(
    signed_in, held_ticket, media_dir, make_token, app
):
    attach(signed_in, held_ticket.number, PDF, "a.pdf")
    [row] = rows_of(held_ticket)
    headers = {"Authorization": f"Bearer {make_token(held_ticket.assignee)}"}
    api = app.test_client()
    detail = api.get(f"/api/v1/tickets/{held_ticket.number}", headers=headers).get_json()
    [listed] = [m for m in detail["messages"] if m["id"] == row.id]
    [item] = listed["media"]
    assert item["content_type"] == "application/pdf" and item["size"] == len(PDF)
    download = api.get(item["download_url"], headers=headers)
    assert download.status_code == 200 and download.data == PDF
    download.close()


def test_erasing_the_citizen_removes_the_agent_s_file_and_its_link(
    signed_in, held_ticket, media_dir, app
):
    attach(signed_in, held_ticket.number, PDF, "a.pdf")
    [row] = rows_of(held_ticket)
    stored = media_dir / row.media[0]["stored_name"]
    assert stored.read_bytes() == PDF
    with app.test_request_context():
        path = media_url(settings_of(app), row.id, 0).removeprefix(PUBLIC_BASE_URL)
    contact = db.session.get(Conversation, held_ticket.conversation_id).contact
    erasure = erase_citizen(db.session, settings_of(app), [contact])
    db.session.commit()
    remove_files(erasure.files)
    assert not stored.exists()
    assert app.test_client().get(path).status_code == 404
