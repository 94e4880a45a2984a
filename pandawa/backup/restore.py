"""Putting a verified archive back: the media files first, then the database in one
transaction. Files first because they are harmless on their own (named by their sha256, no row
refers to them yet): if pg_restore then fails, the database is still empty and the same
restore can simply be run again."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pandawa.backup import postgres
from pandawa.backup.archive import CHUNK, DUMP, MEDIA_PREFIX, Manifest, copy_members


@dataclass
class Restored:
    media_written: int = 0
    media_present: int = 0  # already in the folder with the same bytes


def restore_media(archive: Path, manifest: Manifest, folder: Path) -> Restored:
    done = Restored()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    wanted = {}
    for entry in manifest.media:
        target = folder.joinpath(*entry.name[len(MEDIA_PREFIX) :].split("/"))
        if target.is_file() and _sha256(target) == entry.sha256:
            done.media_present += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        wanted[entry.name] = target
    copy_members(archive, wanted)
    done.media_written = len(wanted)
    return done


def restore_database(archive: Path, database_url: str) -> None:
    # the dump holds everyone's data: a private folder (0700), removed at once
    with tempfile.TemporaryDirectory(prefix="pandawa-restore-") as work:
        dump_path = Path(work) / DUMP
        copy_members(archive, {DUMP: dump_path})
        postgres.restore(database_url, dump_path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
