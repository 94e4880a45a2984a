"""The stored media files: under MEDIA_STORAGE_DIR as `<sha256>.<ext>` (never a name from the
URL), written whole or not at all, and kept only when the bytes are of the type they were
served as. `channels.media` writes them; the console and the API send them to agents."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from pandawa.core import clock
from pandawa.core.config import Settings

# what an agent may be shown, and the extension it is stored under
STORED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
}
SNIFF_BYTES = 16
HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(?:jpg|png|webp|heic|pdf)$")


class WrongBytes(Exception):
    """The bytes are not of the type they were served as (nothing is kept)."""


def sniff(head: bytes) -> str | None:
    """The type the bytes' magic number says, among the types we store."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def store(chunks: Iterable[bytes], served: str, settings: Settings) -> dict:
    """Write the chunks to the store; the keys to record on the media item. Whatever `chunks`
    raises, or WrongBytes, leaves no file behind."""
    media_dir = media_dir_of(settings)
    media_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(dir=media_dir, prefix=".incoming-", suffix=".part")
    digest, size, head, checked = hashlib.sha256(), 0, b"", False
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                if not checked:
                    head += chunk[: SNIFF_BYTES - len(head)]
                    if len(head) >= SNIFF_BYTES:
                        _check_magic(head, served)
                        checked = True
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            if not checked:
                _check_magic(head, served)
            out.flush()
            os.fsync(out.fileno())
        name = f"{digest.hexdigest()}.{STORED_TYPES[served]}"
        os.replace(temp, media_dir / name)  # atomic; the same bytes twice are one file
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return {
        "status": "stored",
        "sha256": digest.hexdigest(),
        "size": size,
        "content_type": served,
        "stored_name": name,
        "stored_at": clock.now().isoformat(),
    }


def _check_magic(head: bytes, served: str) -> None:
    found = sniff(head)
    if found != served:
        raise WrongBytes(f"served as {served}, the bytes are {found or 'other'}")


def media_dir_of(settings: Settings) -> Path:
    return settings.media_dir or settings.instance_path / "media"


def stored_path(settings: Settings, item: dict) -> Path | None:
    """Where a stored item's bytes are; None unless it is stored under a name we made."""
    name = item.get("stored_name") if isinstance(item, dict) else None
    if item.get("status") != "stored" or not isinstance(name, str) or not STORED_NAME.match(name):
        return None
    return media_dir_of(settings) / name
