"""Files an agent sends to a citizen (a letter, a form): checked and kept in the media store.

The type is what the bytes' magic number says (`media_store.sniff`), never the file's name or
the browser's word for it: a JPEG or PNG image, or a PDF. The size limits are the provider's
(settings `ATTACHMENT_MAX_IMAGE_BYTES`, `ATTACHMENT_MAX_PDF_BYTES`): Twilio refuses a WhatsApp
image over 5 MB and a message over 16 MB only when it fetches the file, after the agent has
moved on, so they are checked here, while the agent is still looking. Refusals say why in
Bahasa Indonesia, then English. Nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import BinaryIO

from pandawa.channels.media_store import SNIFF_BYTES, STORED_TYPES, sniff, store
from pandawa.core.config import Settings

# what WhatsApp shows as a photo, and as a document
IMAGE_TYPES = ("image/jpeg", "image/png")
DOCUMENT_TYPES = ("application/pdf",)
ATTACHMENT_TYPES = IMAGE_TYPES + DOCUMENT_TYPES
# the `accept` of the page's file input: a hint for the picker, never trusted
ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"
CHUNK = 64 * 1024
# Twilio: no spaces, at most 20 characters, no special characters in the file name the
# citizen's phone shows (twilio.com/docs/messaging/guides/accepted-mime-types)
MAX_FILENAME = 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class AttachmentRefused(Exception):
    """The upload cannot be sent; `message` says why (Indonesian / English)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def limit_for(content_type: str, settings: Settings) -> int:
    if content_type in IMAGE_TYPES:
        return settings.attachment_max_image_bytes
    return settings.attachment_max_pdf_bytes


def largest_upload(settings: Settings) -> int:
    return max(settings.attachment_max_image_bytes, settings.attachment_max_pdf_bytes)


def store_upload(stream: BinaryIO, filename: str, settings: Settings) -> dict:
    """Check the uploaded bytes and keep them; the media item to record on the message.

    Raises AttachmentRefused (nothing kept) for an empty file, bytes of another type, or a
    file over its type's limit — found while reading, before the whole of it is written.
    """
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise AttachmentRefused(
            "Berkas kosong; pilih berkas yang akan dikirim. / The file is empty; choose a file."
        )
    found = sniff(head)
    if found not in ATTACHMENT_TYPES:
        raise AttachmentRefused(
            "Jenis berkas tidak didukung: hanya foto JPEG atau PNG dan dokumen PDF yang dapat "
            "dikirim (isi berkas diperiksa, bukan namanya). / Unsupported file type: only JPEG "
            "or PNG images and PDF documents can be sent (the content is checked, not the name)."
        )
    limit = limit_for(found, settings)
    item = store(_chunks_within(head, stream, found, limit), found, settings)
    item["filename"] = display_name(filename, found)
    return item


def _chunks_within(head: bytes, stream: BinaryIO, kind: str, limit: int) -> Iterator[bytes]:
    size = 0
    chunk = head
    while chunk:
        size += len(chunk)
        if size > limit:
            raise AttachmentRefused(_too_large(kind, limit))
        yield chunk
        chunk = stream.read(CHUNK)


def _too_large(kind: str, limit: int) -> str:
    what_id, what_en = ("Foto", "Image") if kind in IMAGE_TYPES else ("Dokumen PDF", "PDF")
    shown = f"{limit / 1_000_000:g} MB"
    return (
        f"{what_id} terlalu besar: paling besar {shown} untuk WhatsApp. / "
        f"{what_en} too large: at most {shown} for WhatsApp."
    )


def too_large_message(settings: Settings) -> str:
    """For an upload refused by its size before its type was known."""
    image = f"{settings.attachment_max_image_bytes / 1_000_000:g} MB"
    pdf = f"{settings.attachment_max_pdf_bytes / 1_000_000:g} MB"
    return (
        f"Berkas terlalu besar: foto paling besar {image}, PDF paling besar {pdf}. / "
        f"File too large: photos up to {image}, PDFs up to {pdf}."
    )


def display_name(filename: str, content_type: str) -> str:
    """The name the citizen's phone shows: the agent's file name made safe (ASCII letters,
    digits, `.-_`, at most 20 characters) with the extension of the type the bytes are."""
    extension = STORED_TYPES[content_type]
    stem = unicodedata.normalize("NFKD", filename or "").encode("ascii", "ignore").decode()
    stem = stem.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = _UNSAFE.sub("_", stem).strip("._-")[: MAX_FILENAME - len(extension) - 1]
    return f"{stem or 'lampiran'}.{extension}"


def message_type_of(content_type: str) -> str:
    """The message type an outbound row with this file has (as inbound rows name theirs)."""
    return "image" if content_type in IMAGE_TYPES else "document"
