"""`pandawa backup` and `pandawa restore`: the whole system (PostgreSQL and the media folder)
to one archive and back. Both are audited (`backup_created`, `backup_restored`): a backup
holds every citizen's data."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from pandawa.audit.operations import record
from pandawa.backup import postgres
from pandawa.backup.archive import BadArchive, archive_name, read_verified
from pandawa.backup.create import create_archive
from pandawa.backup.restore import restore_database, restore_media
from pandawa.backup.retention import prune
from pandawa.backup.versions import schema_heads
from pandawa.channels.media_store import media_dir_of
from pandawa.core import clock
from pandawa.core.config import Settings, current_settings
from pandawa.core.extensions import db


def _postgres_only(settings: Settings) -> None:
    if not postgres.is_postgres(settings.database_url):
        raise click.ClickException(postgres.NEEDS_POSTGRES)


def _backup_dir(settings: Settings) -> Path:
    return (settings.backup_dir or settings.instance_path / "backups").resolve()


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the archive (default: BACKUP_DIR; only BACKUP_DIR is pruned).",
)
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Back up the database (pg_dump, one snapshot) and the media folder to one archive with
    a manifest of sha256 checksums; then remove archives in BACKUP_DIR older than
    BACKUP_RETENTION_DAYS. Prints the archive's path."""
    settings = current_settings()
    _postgres_only(settings)
    home = _backup_dir(settings)
    folder = output.resolve() if output else home
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    at = clock.now()
    target = folder / archive_name(at)
    if target.exists():
        raise click.ClickException(
            f"{target} sudah ada; coba lagi sebentar lagi / already exists; try again shortly"
        )
    try:
        manifest = create_archive(
            db.engine, settings.database_url, media_dir_of(settings), target, at
        )
    except (postgres.ToolFailed, OSError) as exc:
        raise click.ClickException(f"Cadangan gagal / backup failed: {exc}") from exc
    size = target.stat().st_size
    head, _known = schema_heads(settings.database_url)
    if manifest.alembic_revision == head:
        record(
            db.session,
            "backup_created",
            actor_label="cli",
            address="cli",
            details={
                "archive": target.name,
                "bytes": size,
                "media_files": len(manifest.media),
                "alembic_revision": manifest.alembic_revision,
            },
        )
        db.session.commit()
    else:
        # the backup before an upgrade: this code's audit row may not fit the old schema
        click.echo(
            f"Skema database di revisi {manifest.alembic_revision}, kode di {head}: cadangan "
            "ini tidak tercatat di audit / the database's schema is not this code's: this "
            "backup is not in the audit",
            err=True,
        )
    removed = []
    if folder == home:
        removed = prune(home, keep=target, now=at, days=settings.backup_retention_days)
    click.echo(
        f"Cadangan selesai / backup written: {len(manifest.media)} berkas media/media files, "
        f"{size} bytes, revisi/revision {manifest.alembic_revision}",
        err=True,
    )
    for path in removed:
        click.echo(
            f"Dihapus, lebih dari {settings.backup_retention_days} hari / removed, older than "
            f"{settings.backup_retention_days} days: {path.name}",
            err=True,
        )
    click.echo(str(target))


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(archive: Path, yes: bool) -> None:
    """Restore ARCHIVE into DATABASE_URL (which must be empty) and the media folder: every
    checksum is verified first; then the media files, then pg_restore in one transaction."""
    settings = current_settings()
    _postgres_only(settings)
    try:
        manifest = read_verified(archive)
    except BadArchive as exc:
        raise click.ClickException(
            f"Arsip ditolak, tidak ada yang dipulihkan / archive refused, nothing restored: {exc}"
        ) from exc
    head, known = schema_heads(settings.database_url)
    if manifest.alembic_revision not in known:
        raise click.ClickException(
            f"Arsip dari Pandawa yang lebih baru (versi {manifest.pandawa_version}, revisi "
            f"{manifest.alembic_revision}); pasang versi itu dulu / the archive comes from a "
            f"newer Pandawa ({manifest.pandawa_version}); install that version first"
        )
    tables = postgres.tables_in(db.engine)
    if tables:
        shown = ", ".join(tables[:5]) + (" …" if len(tables) > 5 else "")
        raise click.ClickException(
            f"Database tujuan tidak kosong ({len(tables)} tabel/sequence: {shown}); "
            "pulihkan ke database baru yang kosong (createdb), tanpa `pandawa db upgrade` lebih "
            "dulu / the target database is not empty; restore into a new, empty database, "
            "without running `pandawa db upgrade` first"
        )
    media_folder = media_dir_of(settings)
    if not yes:
        click.confirm(
            f"Pulihkan cadangan {manifest.created_at} ({len(manifest.media)} berkas media) ke "
            f"database ini dan {media_folder}? / Restore the backup of {manifest.created_at} "
            f"into this database and {media_folder}?",
            abort=True,
        )
    try:
        files = restore_media(archive, manifest, media_folder)
        restore_database(archive, settings.database_url)
    except (postgres.ToolFailed, BadArchive, OSError) as exc:
        raise click.ClickException(f"Pemulihan gagal / restore failed: {exc}") from exc
    db.session.remove()
    click.echo(
        f"Dipulihkan / restored: cadangan {manifest.created_at}, {files.media_written} berkas "
        f"media ditulis/written, {files.media_present} sudah ada/already there."
    )
    if manifest.alembic_revision != head:
        click.echo(
            f"Skema arsip (revisi {manifest.alembic_revision}) lebih lama dari kode ({head}): "
            "jalankan `pandawa db upgrade` sebelum menyalakan web, worker dan beat / the "
            "archive's schema is older than this code: run `pandawa db upgrade` before "
            "starting web, worker and beat; the restore is not in the audit yet (its table "
            "comes with the upgrade)"
        )
        return
    record(
        db.session,
        "backup_restored",
        actor_label="cli",
        address="cli",
        details={
            "archive": archive.name,
            "created_at": manifest.created_at,
            "media_files": len(manifest.media),
        },
    )
    db.session.commit()
    click.echo(
        f"Warga yang dihapus setelah {manifest.created_at} kembali ada: hapus lagi "
        "(docs/backup.md) / citizens erased after the backup are back: erase them again "
        "(docs/backup.md)"
    )
