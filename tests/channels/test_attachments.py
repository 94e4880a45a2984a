"""The agent's file before it is sent: type by the bytes, size by the type, a safe display
name; and the signed link the provider fetches it from (channels.attachments, media_links)."""

from __future__ import annotations

import dataclasses
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandawa.channels.attachments import (
    AttachmentRefused,
    display_name,
    message_type_of,
    store_upload,
)
from pandawa.channels.media_links import LinkExpired, LinkUnknown, media_url, read_token
from pandawa.channels.media_store import sniff
from pandawa.core.config import Settings, settings_of

JPEG = b"\xff\xd8\xff\xe0" + bytes(60)
PDF = b"%PDF-1.4\n" + bytes(60)


@pytest.fixture(scope="module")
def settings(app, tmp_path_factory) -> Settings:
    """Small limits, and a media folder of this module's own (hypothesis runs many examples
    per test: a fixture shared by them all)."""
    return dataclasses.replace(
        settings_of(app),
        media_dir=tmp_path_factory.mktemp("media"),
        attachment_max_image_bytes=100,
        attachment_max_pdf_bytes=300,
    )


@given(st.text(max_size=80), st.sampled_from(["image/jpeg", "image/png", "application/pdf"]))
def test_the_display_name_is_always_safe_for_the_citizen_s_phone(name, kind):
    shown = display_name(name, kind)
    stem, _, extension = shown.rpartition(".")
    assert len(shown) <= 20 and shown.isascii()
    assert extension == {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[kind]
    assert stem and all(c.isalnum() or c in "._-" for c in stem)


def test_the_display_name_keeps_what_it_can_of_the_agent_s_name():
    assert display_name("C:\\Surat\\Undangan Rapat.PDF", "application/pdf") == "Undangan_Rapat.pdf"
    assert display_name("Formulir pendaftaran peserta.png", "image/png") == "Formulir_pendaft.png"
    assert display_name("...", "image/jpeg") == "lampiran.jpg"


@given(st.binary(max_size=64))
def test_bytes_that_are_no_photo_or_pdf_are_never_kept(app, settings, content):
    if sniff(content[:16]) in ("image/jpeg", "image/png", "application/pdf"):
        return
    with pytest.raises(AttachmentRefused):
        store_upload(io.BytesIO(content), "surat.pdf", settings)
    assert list(settings.media_dir.iterdir()) == []


def test_each_type_has_its_own_limit(app, settings, tmp_path):
    settings = dataclasses.replace(settings, media_dir=tmp_path)
    with pytest.raises(AttachmentRefused, match=r"Foto terlalu besar.*Image too large"):
        store_upload(io.BytesIO(JPEG + bytes(40)), "a.jpg", settings)
    item = store_upload(io.BytesIO(PDF + bytes(200)), "a.pdf", settings)
    assert item["size"] == len(PDF) + 200 and message_type_of(item["content_type"]) == "document"
    with pytest.raises(AttachmentRefused, match="Dokumen PDF terlalu besar"):
        store_upload(io.BytesIO(PDF + bytes(300)), "b.pdf", settings)
    assert [p.name for p in settings.media_dir.iterdir()] == [item["stored_name"]]


def test_a_link_works_until_its_time_and_not_a_second_more(app, settings, clock):
    with app.app_context():
        token = media_url(settings, 42, 0).rsplit("/", 1)[1]
        clock.advance(seconds=settings.attachment_url_seconds - 1)
        link = read_token(settings, token)
        assert (link.message_id, link.index) == (42, 0)
        clock.advance(seconds=1)
        with pytest.raises(LinkExpired):
            read_token(settings, token)


@given(st.integers(min_value=0, max_value=200), st.characters(codec="ascii"))
def test_a_changed_token_never_reads_as_another_link(app, settings, position, character):
    """Unknown, or (base64's slack: `-` read as `+`, unused low bits of the last character)
    the very same link — never another message or item."""
    with app.app_context():
        token = media_url(settings, 7, 0).rsplit("/", 1)[1]
        at = position % len(token)
        changed = token[:at] + character + token[at + 1 :]
        try:
            link = read_token(settings, changed)
        except LinkUnknown:
            return
        assert (link.message_id, link.index) == (7, 0)


def test_a_token_of_another_key_is_unknown(app, settings):
    with app.app_context():
        token = media_url(settings, 7, 0).rsplit("/", 1)[1]
        other_key = dataclasses.replace(settings, secret_key="another-secret-key-0123456789")
        with pytest.raises(LinkUnknown):
            read_token(other_key, token)
        # the payload is readable but not forgeable: another message id, same signature
        signature = token.split(".")[1]
        forged = media_url(settings, 8, 0).rsplit("/", 1)[1].split(".")[0] + "." + signature
        with pytest.raises(LinkUnknown):
            read_token(settings, forged)
