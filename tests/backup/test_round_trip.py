"""`pandawa backup` of a seeded system, `pandawa restore` of it into a second, empty database
and media folder: every ticket, message and media file is found there, row for row and byte for
byte. A tampered or truncated archive and a database that is not empty are refused."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from pandawa.app import create_app
from pandawa.audit.models import AuditEvent
from pandawa.backup import postgres
from pandawa.backup.versions import schema_heads
from pandawa.core.extensions import db
from pandawa.core.migrations import upgrade
from pandawa.provisioning.operations import load_default
from tests.backup.conftest import file_digests, revision_of, table_rows
from tests.citizen_story import JPEG
from tests.harness import app_environ
from tests.services import temporary_database


def _backup(cli, *args: str) -> Path:
    result = cli("backup", *args)
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.is_file()
    return path


def _restore_rows(rows: dict) -> dict:
    """The restored system's rows less the restore's own audit row."""
    audit = AuditEvent.__table__
    action = list(audit.columns).index(audit.c.action)
    rows = dict(rows)
    rows["audit_event"] = [r for r in rows["audit_event"] if r[action] != "backup_restored"]
    sequences = dict(rows.pop("(sequences)"))
    sequences.pop("audit_event_id_seq")
    return {**rows, "(sequences)": sorted(sequences.items())}


def test_backup_then_restore_elsewhere_finds_every_ticket_message_and_file(
    cli, session, clock, story, backup_dir, media_dir, elsewhere, pg_url
):
    before = table_rows(pg_url)
    media_before = file_digests(media_dir)
    assert before["ticket"] and len(before["message"]) >= 10 and media_before

    archive = _backup(cli)

    assert archive.parent == backup_dir
    assert archive.name == f"pandawa-backup-{clock.now():%Y%m%dT%H%M%SZ}.tar"  # the app's clock
    assert archive.stat().st_mode & 0o077 == 0  # personal data: the owner only
    restored = cli("restore", str(archive), "--yes", on=elsewhere.app)
    assert restored.exit_code == 0, restored.output
    assert "pandawa db upgrade" not in restored.output  # same schema

    after = table_rows(elsewhere.url)
    expected = dict(before)
    expected["(sequences)"] = sorted(
        (name, value) for name, value in before["(sequences)"] if name != "audit_event_id_seq"
    )
    assert _restore_rows(after) == expected
    assert file_digests(elsewhere.media) == media_before
    assert story.photo_path.name in file_digests(elsewhere.media)
    assert (elsewhere.media / story.photo_path.name).read_bytes() == JPEG
    # each side records its act in its own audit
    session.expire_all()
    made = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "backup_created"))
    assert [e.details["archive"] for e in made] == [archive.name]
    with elsewhere.app.app_context():
        [done] = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "backup_restored")
        )
        assert done.details["archive"] == archive.name
        assert done.actor_label == "cli"


def test_manifest_lists_dump_and_every_media_file_with_sha256(
    cli, session, clock, story, backup_dir, media_dir, pg_url
):
    archive = _backup(cli)

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        dump = tar.extractfile("database.dump").read()
        names = tar.getnames()
    assert manifest["created_at"] == clock.now().isoformat()  # the app's clock, in UTC
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["alembic_revision"] == table_rows(pg_url)["alembic_version"][0][0]
    assert manifest["pandawa_version"]
    assert manifest["database"]["name"] == "database.dump"
    assert manifest["database"]["sha256"] == hashlib.sha256(dump).hexdigest()
    assert dump.startswith(b"PGDMP")  # pg_dump's custom format
    assert {m["name"]: (m["size"], m["sha256"]) for m in manifest["media"]} == {
        f"media/{story.photo_path.name}": (len(JPEG), hashlib.sha256(JPEG).hexdigest())
    }
    assert names[-1] == "manifest.json" and set(names) == {
        "manifest.json",
        "database.dump",
        f"media/{story.photo_path.name}",
    }


@pytest.fixture
def small_archive(cli, session, backup_dir, media_dir) -> Path:
    """A backup of the catalogue and one stored photo: enough to tamper with."""
    load_default(session)
    session.commit()
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / (hashlib.sha256(JPEG).hexdigest() + ".jpg")).write_bytes(JPEG)
    (media_dir / ".incoming-abc.part").write_bytes(b"half a download")  # never backed up
    return _backup(cli)


def _flip_a_byte(archive: Path, member: str) -> None:
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
    with archive.open("r+b") as handle:
        handle.seek(info.offset_data + info.size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0x01]))


def _refused_untouched(result, elsewhere, *names: str) -> None:
    assert result.exit_code != 0
    assert result.output.index("ditolak") < result.output.index("refused")  # Indonesian first
    for name in names:
        assert name in result.output
    with elsewhere.app.app_context():
        assert postgres.tables_in(db.engine) == []
    assert file_digests(elsewhere.media) == {}


@pytest.mark.parametrize("member", ["media", "database.dump"])
def test_a_changed_byte_is_refused_naming_the_file(cli, small_archive, elsewhere, member):
    with tarfile.open(small_archive) as tar:
        [name] = [n for n in tar.getnames() if n.startswith(member)]
    _flip_a_byte(small_archive, name)

    result = cli("restore", str(small_archive), "--yes", on=elsewhere.app)

    _refused_untouched(result, elsewhere, name, "sha256")


def test_a_truncated_archive_is_refused(cli, small_archive, elsewhere):
    data = small_archive.read_bytes()
    small_archive.write_bytes(data[: len(data) // 2])

    result = cli("restore", str(small_archive), "--yes", on=elsewhere.app)

    _refused_untouched(result, elsewhere, small_archive.name)


def test_the_hidden_part_file_of_a_download_is_not_backed_up(small_archive):
    with tarfile.open(small_archive) as tar:
        assert not [n for n in tar.getnames() if ".incoming" in n]


def test_restore_into_a_database_that_is_not_empty_is_refused(cli, small_archive, pg_url):
    before = table_rows(pg_url)

    result = cli("restore", str(small_archive), "--yes")  # into the very system backed up

    assert result.exit_code != 0
    assert "tidak kosong" in result.output and "not empty" in result.output
    assert "public.alembic_version" in result.output  # names the tables it found
    assert table_rows(pg_url) == before


def test_restore_into_a_migrated_empty_schema_is_refused_too(cli, small_archive, elsewhere):
    upgrade(elsewhere.url)

    result = cli("restore", str(small_archive), "--yes", on=elsewhere.app)

    assert result.exit_code != 0
    assert "pandawa db upgrade" in result.output  # says not to migrate first


def test_restore_asks_before_writing(cli, small_archive, elsewhere):
    result = cli("restore", str(small_archive), on=elsewhere.app, input="n\n")

    assert result.exit_code != 0
    with elsewhere.app.app_context():
        assert postgres.tables_in(db.engine) == []


def test_retention_removes_old_archives_and_keeps_the_new_one(
    cli, session, clock, backup_dir, media_dir
):
    load_default(session)
    session.commit()
    first = _backup(cli)
    clock.advance(days=10)
    second = _backup(cli)
    backup_dir.joinpath("notes.txt").write_text("not ours")
    clock.advance(days=21)  # the first is now 31 days old, the second 21

    result = cli("backup")

    assert result.exit_code == 0, result.output
    third = Path(result.stdout.strip())
    assert not first.exists()
    assert second.exists() and third.exists()
    assert (backup_dir / "notes.txt").exists()
    assert first.name in result.output
    assert sorted(p.name for p in backup_dir.iterdir()) == sorted(
        [second.name, third.name, "notes.txt"]
    )


def test_an_archive_written_elsewhere_prunes_nothing(cli, session, clock, backup_dir, tmp_path):
    load_default(session)
    session.commit()
    old = _backup(cli)
    clock.advance(days=60)

    elsewhere = _backup(cli, "--output", str(tmp_path / "offsite"))

    assert elsewhere.parent == tmp_path / "offsite"
    assert old.exists()


def test_the_embedded_sqlite_default_is_refused_with_a_clear_message(cli, sqlite_app):
    result = cli("backup", on=sqlite_app)

    assert result.exit_code != 0
    assert "PostgreSQL" in result.output and "SQLite" in result.output


def _with_manifest(archive: Path, **changes: str) -> None:
    """Rewrite the archive with its manifest changed (the other members as they are)."""
    rewritten = archive.with_name("rewritten.tar")
    with tarfile.open(archive) as old, tarfile.open(rewritten, "w") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **changes}).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    rewritten.replace(archive)


def test_an_archive_from_a_newer_pandawa_is_refused(cli, small_archive, elsewhere):
    _with_manifest(small_archive, alembic_revision="9999", pandawa_version="9.9.9")

    result = cli("restore", str(small_archive), "--yes", on=elsewhere.app)

    assert result.exit_code != 0
    assert "9.9.9" in result.output and "newer" in result.output
    with elsewhere.app.app_context():
        assert postgres.tables_in(db.engine) == []
    assert file_digests(elsewhere.media) == {}


@pytest.fixture
def older_system(app, clock, redis_url, fake_twilio, tmp_path):
    """A system whose database is still at migration 0004 (the backup before an upgrade)."""
    with temporary_database("pandawa_older") as url:
        upgrade(url, "0004")
        environ = app_environ(url, redis_url, fake_twilio.url, tmp_path / "instance-older")
        environ["BACKUP_DIR"] = str(tmp_path / "older-backups")
        older = create_app(environ, clock=clock)
        try:
            yield older
        finally:
            with older.app_context():
                db.session.remove()
                db.engine.dispose()
            app.extensions["celery"].set_default()


def test_an_older_archive_is_restored_and_asks_for_db_upgrade(cli, older_system, elsewhere):
    made = cli("backup", on=older_system)
    assert made.exit_code == 0, made.output
    assert "not in the audit" in made.output  # this code's audit row does not fit schema 0004

    result = cli("restore", made.stdout.strip(), "--yes", on=elsewhere.app)

    assert result.exit_code == 0, result.output
    assert "pandawa db upgrade" in result.output
    assert revision_of(elsewhere.url) == "0004"
    upgrade(elsewhere.url)  # what the operator is told to do next
    assert revision_of(elsewhere.url) == schema_heads(elsewhere.url)[0]


def test_a_failed_backup_leaves_nothing_and_prunes_nothing(
    cli, session, backup_dir, media_dir, tmp_path, monkeypatch
):
    load_default(session)
    session.commit()
    backup_dir.mkdir()
    old = backup_dir / "pandawa-backup-20250101T000000Z.tar"
    old.write_bytes(b"an old archive")
    (tmp_path / "no-tools").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no pg_dump to be found

    result = cli("backup")

    assert result.exit_code != 0
    assert "pg_dump" in result.output
    assert result.output.index("gagal") < result.output.index("failed")
    assert [p.name for p in backup_dir.iterdir()] == [old.name]  # no archive, .part or work
    session.expire_all()
    assert not session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "backup_created")
    ).all()
