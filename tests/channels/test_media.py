"""Media the citizen sends: fetched from the provider's media host only, checked, stored."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from pandawa.channels import media
from pandawa.channels.models import Message
from pandawa.channels.tasks import MEDIA_MAX_RETRIES
from pandawa.channels.vcards import parse_vcards
from pandawa.core.clock import now
from pandawa.core.config import settings_of
from tests.harness import CITIZEN, INBOUND_PATH, OFFICE, TEST_ACCOUNT_SID, inbound_form

FETCH = "channels.fetch_media"
LIMIT = 64 * 1024
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + bytes(300)
    + (b"\xff\xd9")
)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
VCARD = (
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Santoso;Budi;;;\r\nFN:Budi Santoso\r\n"
    b"item1.TEL;waid=6281298765432:+62 812-9876-5432\r\nitem1.X-ABLabel:Ponsel\r\nEND:VCARD\r\n"
)


class OtherHost:
    """A second local HTTP server: anything it is asked for, it records (and would serve)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(JPEG)))
                self.end_headers()
                self.wfile.write(JPEG)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def _other_server() -> Iterator[OtherHost]:
    other = OtherHost()
    yield other
    other.server.shutdown()
    other.server.server_close()


@pytest.fixture
def other_host(_other_server: OtherHost) -> OtherHost:
    _other_server.requests.clear()
    return _other_server


@pytest.fixture
def media_dir(app, tmp_path, monkeypatch) -> Path:
    """A media directory of this test's own, and a 64 KiB limit."""
    settings = settings_of(app)
    folder = tmp_path / "media"
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(settings, media_dir=folder, media_max_bytes=LIMIT),
    )
    return folder


@pytest.fixture
def inbound(session):
    """An inbound message row with these media items, committed (the task rolls back its
    reads, so what it reads must be committed)."""

    def add(*items: dict, provider: str = "twilio", created_at=None) -> int:
        at = created_at or now()
        message = Message(
            direction="in",
            provider=provider,
            provider_message_id="MM" + uuid.uuid4().hex,
            sender=CITIZEN,
            recipient=OFFICE,
            body="",
            message_type="image",
            media=list(items),
            extra={},
            status="received",
            attempts=0,
            is_internal_note=False,
            created_at=at,
            updated_at=at,
        )
        session.add(message)
        session.commit()
        return message.id

    return add


def _media(session, message_id: int) -> list[dict]:
    session.expire_all()
    return session.get(Message, message_id).media


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _media_path(account: str = TEST_ACCOUNT_SID) -> str:
    return f"/2010-04-01/Accounts/{account}/Messages/MM{'1' * 32}/Media/ME{'2' * 32}"


# -- the whole way: webhook, task, file ------------------------------------------------------


def test_a_photo_is_fetched_with_our_credentials_and_stored_under_its_hash(
    client, session, post_signed, broker, run_task, twilio_fake, media_dir
):
    url = twilio_fake.add_media(JPEG, "image/jpeg")
    form = inbound_form(
        MessageType="image", Body="", NumMedia="1", MediaUrl0=url, MediaContentType0="image/jpeg"
    )
    assert post_signed(client, INBOUND_PATH, form).status_code == 200
    message_id = session.scalar(sa.select(Message.id))
    assert broker(FETCH) == [[message_id]]

    assert run_task(FETCH, message_id).state == "SUCCESS"

    digest = hashlib.sha256(JPEG).hexdigest()
    [item] = _media(session, message_id)
    assert item["url"] == url
    assert item["status"] == "stored"
    assert item["sha256"] == digest
    assert item["size"] == len(JPEG)
    assert item["content_type"] == "image/jpeg"
    assert item["stored_name"] == f"{digest}.jpg"
    assert _files(media_dir) == [f"{digest}.jpg"]
    assert (media_dir / f"{digest}.jpg").read_bytes() == JPEG
    # Twilio's way: the API answers with a redirect to its CDN; only the API gets credentials
    hops = [(r.hop, r.authorization is not None) for r in twilio_fake.media_requests]
    assert hops == [("api", True), ("cdn", False)]


def test_a_text_message_fetches_nothing(client, post_signed, broker):
    post_signed(client, INBOUND_PATH, inbound_form())

    assert broker(FETCH) == []
    assert broker("conversations.process_inbound") != []


def test_a_pdf_is_stored_too(session, inbound, run_task, twilio_fake, media_dir):
    message_id = inbound(
        {"url": twilio_fake.add_media(PDF, "application/pdf"), "content_type": "application/pdf"}
    )

    run_task(FETCH, message_id)

    [item] = _media(session, message_id)
    assert (item["status"], item["content_type"]) == ("stored", "application/pdf")
    assert item["stored_name"].endswith(".pdf")


# -- only the provider's media host ----------------------------------------------------------


@pytest.mark.parametrize(
    "make_url",
    [
        pytest.param(lambda fake, other: other.url + _media_path(), id="another host"),
        pytest.param(lambda fake, other: fake.url + _media_path("AC" + "9" * 32), id="other SID"),
        pytest.param(lambda fake, other: "https://api.twilio.com" + _media_path(), id="not ours"),
        pytest.param(
            lambda fake, other: fake.url.replace("http://", "https://") + _media_path(),
            id="other scheme",
        ),
        pytest.param(
            lambda fake, other: fake.url + _media_path() + "?redirect=" + other.url, id="query"
        ),
        pytest.param(
            lambda fake, other: (
                f"http://{fake.url.removeprefix('http://')}@"
                f"{other.url.removeprefix('http://')}{_media_path()}"
            ),
            id="userinfo trick",
        ),
        pytest.param(
            lambda fake, other: fake.url + f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json",
            id="not a media path",
        ),
        pytest.param(lambda fake, other: "file:///etc/passwd", id="file"),
    ],
)
def test_a_url_off_the_provider_media_host_is_never_requested(
    make_url, session, inbound, run_task, twilio_fake, other_host, media_dir
):
    message_id = inbound({"url": make_url(twilio_fake, other_host), "content_type": "image/jpeg"})

    assert run_task(FETCH, message_id).state == "SUCCESS"

    [item] = _media(session, message_id)
    assert item["status"] == "refused"
    assert item["reason"] == "not the provider's media host"
    assert other_host.requests == []
    assert twilio_fake.requests == []
    assert _files(media_dir) == []


def test_a_redirect_to_a_host_off_the_allowlist_is_not_followed(
    session, inbound, run_task, twilio_fake, other_host, media_dir
):
    url = twilio_fake.add_media(JPEG, "image/jpeg", redirect_to=other_host.url + "/cdn/photo.jpg")
    message_id = inbound({"url": url, "content_type": "image/jpeg"})

    run_task(FETCH, message_id)

    [item] = _media(session, message_id)
    assert item["status"] == "refused"
    assert "redirect" in item["reason"]
    assert other_host.requests == []
    assert _files(media_dir) == []


def test_twilios_cdn_is_allowed_over_https_only(app):
    settings = settings_of(app)

    assert media.redirect_allowed("https://mms.twiliocdn.com/AC1/abc?Expires=1", settings)
    assert not media.redirect_allowed("http://mms.twiliocdn.com/AC1/abc", settings)
    assert not media.redirect_allowed("https://mms.twiliocdn.com.evil.example/x", settings)
    assert not media.redirect_allowed("https://s3-external-1.amazonaws.com/x", settings)
    assert media.is_provider_media_url(settings.twilio_api_base_url + _media_path(), settings)


# -- limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_too_large_is_refused_and_leaves_no_file(
    send_length, session, inbound, run_task, twilio_fake, media_dir
):
    big = JPEG[:-2] + bytes(LIMIT) + b"\xff\xd9"
    url = twilio_fake.add_media(big, "image/jpeg", send_length=send_length)
    message_id = inbound({"url": url, "content_type": "image/jpeg"})

    run_task(FETCH, message_id)

    [item] = _media(session, message_id)
    assert item["status"] == "too_large"
    assert "sha256" not in item and "stored_name" not in item
    assert _files(media_dir) == []  # no stored file, no temporary left behind


def test_html_claiming_to_be_a_jpeg_is_not_stored(
    session, inbound, run_task, twilio_fake, media_dir
):
    page = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
    message_id = inbound(
        {"url": twilio_fake.add_media(page, "image/jpeg"), "content_type": "image/jpeg"}
    )

    run_task(FETCH, message_id)

    [item] = _media(session, message_id)
    assert item["status"] == "unsupported_type"
    assert _files(media_dir) == []


def test_a_type_outside_the_allowlist_is_not_even_fetched(
    session, inbound, run_task, twilio_fake, media_dir
):
    url = twilio_fake.add_media(b"OggS\x00\x02", "audio/ogg")
    message_id = inbound({"url": url, "content_type": "audio/ogg"})

    run_task(FETCH, message_id)

    [item] = _media(session, message_id)
    assert item["status"] == "unsupported_type"
    assert twilio_fake.media_requests == []


def test_served_as_html_is_not_stored(session, inbound, run_task, twilio_fake, media_dir):
    url = twilio_fake.add_media(b"<html></html>", "text/html; charset=utf-8")
    message_id = inbound({"url": url, "content_type": "image/jpeg"})

    run_task(FETCH, message_id)

    assert _media(session, message_id)[0]["status"] == "unsupported_type"
    assert _files(media_dir) == []


# -- idempotence, retries, failures ----------------------------------------------------------


def test_running_the_task_twice_stores_once(session, inbound, run_task, twilio_fake, media_dir):
    message_id = inbound(
        {"url": twilio_fake.add_media(JPEG, "image/jpeg"), "content_type": "image/jpeg"},
        {"url": "https://example.com/x.jpg", "content_type": "image/jpeg"},
    )

    run_task(FETCH, message_id)
    first = _media(session, message_id)
    requests_after_first = len(twilio_fake.media_requests)
    run_task(FETCH, message_id)

    assert _media(session, message_id) == first
    assert [item["status"] for item in first] == ["stored", "refused"]
    assert len(twilio_fake.media_requests) == requests_after_first == 2
    assert len(_files(media_dir)) == 1


def test_a_slower_concurrent_run_does_not_overwrite_what_another_recorded(
    session, inbound, run_task, twilio_fake, media_dir
):
    message_id = inbound(
        {"url": twilio_fake.add_media(JPEG, "image/jpeg"), "content_type": "image/jpeg"}
    )
    # a second run read the item while it was pending, then its fetch failed
    late = media.FetchRun(results={0: {"status": "failed", "reason": "provider answered 500"}})

    run_task(FETCH, message_id)
    assert media.record_results(session, message_id, late) == 0
    session.commit()

    assert _media(session, message_id)[0]["status"] == "stored"


def test_a_provider_outage_is_retried_with_backoff_then_stored(
    session, inbound, run_task, twilio_fake, media_dir
):
    message_id = inbound(
        {"url": twilio_fake.add_media(JPEG, "image/jpeg"), "content_type": "image/jpeg"}
    )
    twilio_fake.fail_media(503)

    outcome = run_task(FETCH, message_id)

    assert outcome.state == "RETRY" and outcome.when
    assert "status" not in _media(session, message_id)[0]
    assert run_task(FETCH, message_id).state == "SUCCESS"
    assert _media(session, message_id)[0]["status"] == "stored"


def test_when_retries_are_spent_the_item_is_failed(app, session, inbound, twilio_fake, media_dir):
    message_id = inbound(
        {"url": twilio_fake.add_media(JPEG, "image/jpeg"), "content_type": "image/jpeg"}
    )
    twilio_fake.fail_media(503)
    task = app.extensions["celery"].tasks[FETCH]
    task.push_request(id=uuid.uuid4().hex, retries=MEDIA_MAX_RETRIES, called_directly=False)
    try:
        assert task(message_id) == "done"
    finally:
        task.pop_request()

    [item] = _media(session, message_id)
    assert item["status"] == "failed" and "gave up" in item["reason"]


def test_media_gone_at_the_provider_is_failed_not_retried(
    session, inbound, run_task, twilio_fake, media_dir
):
    url = twilio_fake.url + _media_path()  # well formed, but the fake holds no such media

    message_id = inbound({"url": url, "content_type": "image/jpeg"})
    outcome = run_task(FETCH, message_id)

    assert outcome.state == "SUCCESS"
    [item] = _media(session, message_id)
    assert item["status"] == "failed" and "404" in item["reason"]


def test_the_simulator_fetches_nothing(session, inbound, run_task, twilio_fake, media_dir):
    url = twilio_fake.add_media(JPEG, "image/jpeg")
    message_id = inbound({"url": url, "content_type": "image/jpeg"}, provider="simulator")

    assert run_task(FETCH, message_id).result == "skipped"
    assert "status" not in _media(session, message_id)[0]
    assert twilio_fake.media_requests == []


# -- contacts --------------------------------------------------------------------------------


def test_a_shared_contact_becomes_structured_data(
    session, inbound, run_task, twilio_fake, media_dir
):
    url = twilio_fake.add_media(VCARD, "text/vcard")
    message_id = inbound({"url": url, "content_type": "text/vcard"})

    run_task(FETCH, message_id)

    session.expire_all()
    message = session.get(Message, message_id)
    assert message.extra["contacts"] == [{"name": "Budi Santoso", "phones": ["+6281298765432"]}]
    assert message.media[0]["status"] == "parsed"
    assert _files(media_dir) == []  # the card is data on the message, not a file


def test_vcard_parsing_handles_folding_versions_and_several_cards():
    text = (
        "BEGIN:VCARD\nVERSION:2.1\nN:Rahayu;Siti\nTEL;CELL:0812 3456 7890\n"
        "TEL;HOME:(021) 555-0100\nEND:VCARD\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Dr. Andi\r\n  Wijaya\\, Sp.PD\r\n"
        "TEL;VALUE=uri:tel:+62-21-555-0199\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\nVERSION:3.0\nNOTE:no name and no phone\nEND:VCARD\n"
    )

    assert parse_vcards(text) == [
        {"name": "Siti Rahayu", "phones": ["081234567890", "0215550100"]},
        {"name": "Dr. Andi Wijaya, Sp.PD", "phones": ["+62215550199"]},
    ]


def test_a_file_that_is_not_a_vcard_is_not_parsed(
    session, inbound, run_task, twilio_fake, media_dir
):
    url = twilio_fake.add_media(b"<html>hello</html>", "text/vcard")
    message_id = inbound({"url": url, "content_type": "text/vcard"})

    run_task(FETCH, message_id)

    session.expire_all()
    message = session.get(Message, message_id)
    assert message.media[0]["status"] == "unsupported_type"
    assert "contacts" not in message.extra


# -- the sweep -------------------------------------------------------------------------------


def test_the_sweep_republishes_fetches_that_never_left(session, inbound, broker, run_task):
    stranded = inbound(
        {"url": "https://api.twilio.com/x", "content_type": "image/jpeg"},
        created_at=now() - timedelta(hours=1),
    )
    inbound(  # still young: its own task may be retrying
        {"url": "https://api.twilio.com/y", "content_type": "image/jpeg"}
    )
    inbound(
        {"url": "https://api.twilio.com/z", "content_type": "image/jpeg", "status": "refused"},
        created_at=now() - timedelta(hours=1),
    )
    inbound(created_at=now() - timedelta(hours=1))  # no media at all

    assert run_task("channels.sweep_media").result == 1
    assert broker(FETCH) == [[stranded]]


def test_a_full_disk_is_retried_not_lost(
    session, inbound, run_task, twilio_fake, media_dir, monkeypatch
):
    """ENOSPC (or a quota, a read-only mount) is the operator's to fix: the item stays pending
    and the task retries, rather than escaping until the media sweep half an hour later."""
    import errno

    from pandawa.channels import media

    message_id = inbound(
        {"url": twilio_fake.add_media(JPEG, "image/jpeg"), "content_type": "image/jpeg"}
    )
    real_store = media.store

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(media, "store", full)
    outcome = run_task(FETCH, message_id)
    assert outcome.state == "RETRY" and outcome.when
    assert "status" not in _media(session, message_id)[0]

    monkeypatch.setattr(media, "store", real_store)  # space freed
    assert run_task(FETCH, message_id).state == "SUCCESS"
    assert _media(session, message_id)[0]["status"] == "stored"
