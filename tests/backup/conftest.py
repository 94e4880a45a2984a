"""Backups are made by other processes (pg_dump, pg_restore), which see only what is
committed: these tests commit for real (`live_db` empties every table afterwards), and the
system is restored into a second database and media folder of its own, dropped afterwards."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from pandawa.app import create_app
from pandawa.core.config import normalise_database_url, settings_of
from pandawa.core.extensions import db
from tests.harness import app_environ
from tests.services import temporary_database


@pytest.fixture
def connection(app, live_db):
    """Overrides the rolled-back transaction of tests/conftest.py: real commits here."""
    yield None


@pytest.fixture
def backup_dir(app, media_dir, tmp_path, monkeypatch) -> Path:
    """BACKUP_DIR of this test (after `media_dir`, which also replaces the settings)."""
    folder = tmp_path / "backups"
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions, "pandawa.settings", dataclasses.replace(settings, backup_dir=folder)
    )
    return folder


@pytest.fixture
def cli(app):
    """Run a `pandawa` command of `on` (the session's app unless told) in its context."""

    def run(*args: str, on: Flask | None = None, input: str | None = None):
        target = on or app
        with target.app_context():
            return target.test_cli_runner().invoke(args=list(args), input=input)

    return run


@dataclass
class Elsewhere:
    """A second system: its own empty database and media folder."""

    app: Flask
    url: str
    media: Path


@pytest.fixture
def elsewhere(app, clock, redis_url, fake_twilio, tmp_path) -> Iterator[Elsewhere]:
    with temporary_database("pandawa_restore") as url:
        environ = app_environ(url, redis_url, fake_twilio.url, tmp_path / "instance-elsewhere")
        environ["MEDIA_STORAGE_DIR"] = str(tmp_path / "media-elsewhere")
        other = create_app(environ, clock=clock)
        other.config["TESTING"] = True
        try:
            yield Elsewhere(other, url, settings_of(other).media_dir)
        finally:
            with other.app_context():
                db.session.remove()
                db.engine.dispose()
            app.extensions["celery"].set_default()  # the session's app stays Celery's default


def table_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the models (and Alembic's), in primary-key order."""
    engine = sa.create_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            found = {}
            for table in db.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                found[table.name] = [
                    tuple(r) for r in conn.execute(sa.select(table).order_by(*order))
                ]
            found["alembic_version"] = [
                tuple(r) for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            ]
            found["(sequences)"] = [
                tuple(r)
                for r in conn.exec_driver_sql(
                    "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1"
                )
            ]
            return found
    finally:
        engine.dispose()


def file_digests(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def revision_of(url: str) -> str:
    engine = sa.create_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    finally:
        engine.dispose()
