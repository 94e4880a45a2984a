"""Media a citizen sends to a Meta number: the webhook names a media id, `channels.fetch_media`
asks the Graph API for its URL and fetches it with the token, then the same checks, limits and
store as Twilio's media."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from pandawa.channels.meta_media import download_allowed
from pandawa.channels.models import Message
from pandawa.core.config import settings_of
from tests.fakes import meta_graph as graph
from tests.harness import CITIZEN

PATH = "/webhooks/meta/whatsapp"
OURS = "whatsapp:+6281180001600"
FETCH = "channels.fetch_media"
LIMIT = 64 * 1024
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + bytes(300)
    + (b"\xff\xd9")
)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


@pytest.fixture
def meta_fake(fake_graph):
    fake_graph.reset()
    yield fake_graph
    fake_graph.reset()


@pytest.fixture
def media_dir(app, tmp_path, monkeypatch) -> Path:
    settings = settings_of(app)
    folder = tmp_path / "media"
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(settings, media_dir=folder, media_max_bytes=LIMIT),
    )
    return folder


def _receive(client, session, kind: str, media_id: str, mime: str, **detail) -> int:
    item = graph.message(
        CITIZEN, kind, {"id": media_id, "mime_type": mime, **detail}, timestamp=1_796_000_000
    )
    raw, headers = graph.signed(graph.notification(OURS, messages=[item]))
    assert client.post(PATH, data=raw, headers=headers).status_code == 200
    return session.scalar(sa.select(Message.id).order_by(Message.id.desc()))


def _media(session, message_id: int) -> list[dict]:
    session.expire_all()
    return session.get(Message, message_id).media


def test_a_photo_is_fetched_through_the_graph_api_with_the_token(
    client, session, run_task, meta_fake, media_dir
):
    media_id = meta_fake.add_media(JPEG, "image/jpeg")
    message_id = _receive(client, session, "image", media_id, "image/jpeg")

    assert run_task(FETCH, message_id).state == "SUCCESS"

    digest = hashlib.sha256(JPEG).hexdigest()
    [item] = _media(session, message_id)
    assert item["status"] == "stored" and item["sha256"] == digest
    assert (media_dir / f"{digest}.jpg").read_bytes() == JPEG
    # the media id first, then its URL: both with our token, nothing else asked
    hops = [(method, path.split("/")[1]) for method, path, _auth in meta_fake.requests]
    assert hops == [("GET", graph.VERSION), ("GET", "cdn")]
    assert {auth for *_rest, auth in meta_fake.requests} == {f"Bearer {graph.ACCESS_TOKEN}"}


def test_a_pdf_served_as_octet_stream_is_stored_as_the_pdf_it_is(
    client, session, run_task, meta_fake, media_dir
):
    media_id = meta_fake.add_media(PDF, "application/pdf")
    message_id = _receive(
        client, session, "document", media_id, "application/pdf", filename="surat.pdf"
    )
    run_task(FETCH, message_id)
    [item] = _media(session, message_id)
    assert (item["status"], item["content_type"], item["filename"]) == (
        "stored",
        "application/pdf",
        "surat.pdf",
    )


def test_a_file_over_the_limit_is_not_downloaded(client, session, run_task, meta_fake, media_dir):
    media_id = meta_fake.add_media(JPEG + bytes(LIMIT), "image/jpeg")
    message_id = _receive(client, session, "image", media_id, "image/jpeg")
    run_task(FETCH, message_id)
    [item] = _media(session, message_id)
    assert item["status"] == "too_large"
    assert [p.split("/")[1] for _m, p, _a in meta_fake.requests] == [graph.VERSION]
    assert not media_dir.exists() or not any(media_dir.iterdir())


def test_a_voice_note_is_recorded_unsupported_without_a_request(
    client, session, run_task, meta_fake, media_dir
):
    message_id = _receive(client, session, "audio", "1234", "audio/ogg; codecs=opus")
    run_task(FETCH, message_id)
    [item] = _media(session, message_id)
    assert item["status"] == "unsupported_type"
    assert meta_fake.requests == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", True),
        ("http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", False),
        ("https://fbsbx.com.evil.example/x", False),
        ("https://user:pw@lookaside.fbsbx.com/x", False),
        ("https://pandawa.example.go.id/x", False),
    ],
)
def test_the_token_goes_only_to_metas_media_hosts(app, url, allowed):
    assert download_allowed(url, settings_of(app)) is allowed
