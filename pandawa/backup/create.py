"""Making a backup: the database first, in one snapshot, then the media folder.

The order is the point. A file a citizen sends while the dump runs lands in the folder after
the snapshot was taken: it is copied too, and no row of the dump refers to it — harmless. A
row never points at a file the archive lacks, unless an erasure removed the file in between,
which the restore's re-run of erasures settles (docs/backup.md)."""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from pandawa.backup import postgres
from pandawa.backup.archive import DUMP, Manifest, media_files, writing
from pandawa.backup.versions import pandawa_version

log = logging.getLogger(__name__)


def create_archive(
    engine: Engine, database_url: str, media_folder: Path, target: Path, at: datetime
) -> Manifest:
    """Write the archive `target`; its manifest. Nothing is left behind when this fails."""
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pandawa-backup-work-") as work:
        dump_path = Path(work) / DUMP
        with postgres.snapshot(engine) as (snapshot_id, revision):
            postgres.dump(database_url, snapshot_id, dump_path)
        with writing(target, at.timestamp()) as writer:
            database = writer.add_file(DUMP, dump_path)
            if database is None:
                raise postgres.ToolFailed("pg_dump wrote no file")
            media = []
            for name, path in media_files(media_folder):
                entry = writer.add_file(name, path)
                if entry is None:  # erased since the folder was listed
                    log.info("backup: media file gone before it was copied")
                    continue
                media.append(entry)
            manifest = Manifest(
                created_at=at.isoformat(),
                alembic_revision=revision,
                pandawa_version=pandawa_version(),
                database=database,
                media=media,
            )
            writer.add_manifest(manifest)
    return manifest
