"""Keeping backups for BACKUP_RETENTION_DAYS: after a new archive is written, the older ones in
BACKUP_DIR are removed. An archive's age is the time in its name (the clock that made it), so a
copy or a touch of the file never changes what is kept; other files are never touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pandawa.backup.archive import NAME_PATTERN


def made_at(path: Path) -> datetime | None:
    found = NAME_PATTERN.match(path.name)
    if not found:
        return None
    return datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def prune(folder: Path, *, keep: Path, now: datetime, days: int) -> list[Path]:
    """Remove the archives in `folder` made more than `days` before `now`, never `keep`;
    the removed paths, oldest first."""
    cutoff = now - timedelta(days=days)
    removed = []
    for path in sorted(folder.iterdir()):
        at = made_at(path)
        if at is None or at >= cutoff or path.resolve() == keep.resolve() or not path.is_file():
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed
