"""The backup archive: one uncompressed tar (the dump is compressed already, photos and PDFs
do not shrink) holding `database.dump`, `media/<name>` and, last, `manifest.json` with the
size and sha256 of every other member. Written under a hidden `.part` name and renamed when
whole, so a half-written archive never carries the final name."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA_PREFIX = "media/"
NAME_FORMAT = "pandawa-backup-%Y%m%dT%H%M%SZ.tar"
NAME_PATTERN = re.compile(r"^pandawa-backup-(\d{8}T\d{6}Z)\.tar$")
CHUNK = 1024 * 1024


class BadArchive(Exception):
    """The archive cannot be trusted; the message names the file and what is wrong."""


@dataclass
class Entry:
    name: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass
class Manifest:
    created_at: str
    alembic_revision: str
    pandawa_version: str
    database: Entry
    media: list[Entry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "alembic_revision": self.alembic_revision,
            "pandawa_version": self.pandawa_version,
            "database": {**self.database.as_dict(), "format": "pg_dump custom"},
            "media": [entry.as_dict() for entry in self.media],
        }


def archive_name(at: datetime) -> str:
    return at.strftime(NAME_FORMAT)


class _Hashing:
    """A file read through by tarfile, hashed and counted on the way."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class Writer:
    """Adds members one by one, hashing each as it is copied (a file is read once)."""

    def __init__(self, tar: tarfile.TarFile, mtime: float) -> None:
        self.tar = tar
        self.mtime = mtime

    def add_file(self, name: str, path: Path) -> Entry | None:
        """Copy `path` in as `name`; None when the file is gone by now (an erasure)."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return None
        with handle:
            info = self._info(name, os.fstat(handle.fileno()).st_size)
            hashing = _Hashing(handle)
            self.tar.addfile(info, hashing)
        return Entry(name, hashing.size, hashing.digest.hexdigest())

    def add_manifest(self, manifest: Manifest) -> None:
        data = json.dumps(manifest.as_dict(), indent=2, ensure_ascii=False).encode() + b"\n"
        self.tar.addfile(self._info(MANIFEST, len(data)), _Bytes(data))

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        info.mtime = self.mtime
        return info


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at : end], min(end, len(self.data))
        return chunk


@contextmanager
def writing(target: Path, mtime: float) -> Iterator[Writer]:
    """Write the archive to `target` atomically (0600): whole, or not at all."""
    part = target.with_name(f".{target.name}.part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
                yield Writer(tar, mtime)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            raise FileExistsError(f"{target} already exists")
        os.replace(part, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(part)
        raise


def media_files(folder: Path) -> list[tuple[str, Path]]:
    """Every media file to keep, as (archive name, path): regular files, sorted; hidden ones
    (`.incoming-….part`, a download still being written) are left out."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        found.append((MEDIA_PREFIX + relative.as_posix(), path))
    return found


# -- reading and verifying --------------------------------------------------------------------


def read_verified(path: Path) -> Manifest:
    """The archive's manifest, once every member it lists is present with its size and
    sha256 and nothing else is in the archive; BadArchive naming the file otherwise."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            manifest = _manifest(tar)
            expected = {entry.name: entry for entry in [manifest.database, *manifest.media]}
            seen: set[str] = set()
            for member in tar:
                if member.name == MANIFEST:
                    continue
                entry = expected.get(member.name)
                if entry is None or member.name in seen or not member.isfile():
                    raise BadArchive(
                        _says(member.name, "tidak tercatat di manifest / not in the manifest")
                    )
                seen.add(member.name)
                _check(tar, member, entry)
            missing = sorted(set(expected) - seen)
            if missing:
                raise BadArchive(_says(missing[0], "hilang dari arsip / missing from the archive"))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BadArchive(
            f"{path.name}: arsip rusak atau terpotong / damaged or truncated archive ({exc})"
        ) from exc
    return manifest


def _manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        handle = tar.extractfile(MANIFEST)
        data = json.loads(handle.read()) if handle else None
        database = _entry(data["database"], DUMP)
        media = [_entry(item) for item in data["media"]]
        if data["format"] != FORMAT:
            raise ValueError(f"format {data['format']!r}")
        return Manifest(
            created_at=str(data["created_at"]),
            alembic_revision=str(data["alembic_revision"]),
            pandawa_version=str(data["pandawa_version"]),
            database=database,
            media=media,
        )
    except KeyError as exc:
        raise BadArchive(
            _says(MANIFEST, f"hilang atau tidak lengkap / missing or incomplete ({exc})")
        ) from exc
    except (TypeError, ValueError) as exc:
        raise BadArchive(_says(MANIFEST, f"tidak terbaca / unreadable ({exc})")) from exc


def _entry(item: dict, name: str | None = None) -> Entry:
    entry = Entry(str(item["name"]), int(item["size"]), str(item["sha256"]))
    if name is not None and entry.name != name:
        raise ValueError(f"database file {entry.name!r}")
    if entry.name != name and not safe_media_name(entry.name):
        raise ValueError(f"media file {entry.name!r}")
    return entry


def safe_media_name(name: str) -> bool:
    """`media/<relative path>` with no way out of the media folder."""
    if not name.startswith(MEDIA_PREFIX) or "\\" in name:
        return False
    parts = PurePosixPath(name[len(MEDIA_PREFIX) :]).parts
    return bool(parts) and all(p not in ("", ".", "..") and not p.startswith(".") for p in parts)


def _check(tar: tarfile.TarFile, member: tarfile.TarInfo, entry: Entry) -> None:
    if member.size != entry.size:
        raise BadArchive(
            _says(member.name, f"ukuran {member.size} bukan {entry.size} / size differs")
        )
    handle = tar.extractfile(member)
    digest = hashlib.sha256()
    while handle and (chunk := handle.read(CHUNK)):
        digest.update(chunk)
    if digest.hexdigest() != entry.sha256:
        raise BadArchive(_says(member.name, "checksum sha256 tidak cocok / sha256 does not match"))


def _says(name: str, what: str) -> str:
    return f"{name}: {what}"


def copy_members(archive: Path, targets: dict[str, Path]) -> None:
    """Copy the members named in `targets` to their paths (0600, each written whole then
    renamed), in one pass over the archive however many files it holds."""
    with tarfile.open(archive, mode="r:") as tar:
        for member in tar:
            target = targets.get(member.name)
            if target is None:
                continue
            source = tar.extractfile(member)
            if source is None:
                raise BadArchive(_says(member.name, "bukan berkas / not a file"))
            _write_whole(source, target)


def _write_whole(source: IO[bytes], target: Path) -> None:
    part = target.with_name(f".{target.name}.restore-part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(part)
        raise
