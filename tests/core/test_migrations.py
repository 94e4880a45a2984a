"""Migrations are the schema: one head, and autogenerate finds nothing the models add."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

import pandawa.models  # noqa: F401
from pandawa.core.extensions import db
from pandawa.core.migrations import alembic_config, include_object_for, upgrade
from tests.services import temporary_database


def test_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def _diff(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            upgrade(url, connection=conn)
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_object_for(conn.dialect.name)}
            context = MigrationContext.configure(conn, opts=opts)
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def test_models_match_migrations_on_postgresql():
    with temporary_database("pandawa_mig") as url:
        assert _diff(url.replace("postgresql://", "postgresql+psycopg://")) == []


# Alembic's SQLite comparison cannot reflect expression indexes and says so before the
# `include_object` filter sees them; the full-text index is PostgreSQL's alone
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index 'ix_message_body_fts'"
)
def test_models_match_migrations_on_sqlite(tmp_path):
    assert _diff(f"sqlite:///{tmp_path / 'schema.sqlite'}") == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_downgrade_to_base_and_up_again(backend, tmp_path):
    from alembic import command

    def run(url):
        engine = create_engine(url)
        with engine.begin() as conn:
            cfg = alembic_config(url, conn)
            command.upgrade(cfg, "head")
            command.downgrade(cfg, "base")
            command.upgrade(cfg, "head")
        engine.dispose()

    if backend == "sqlite":
        run(f"sqlite:///{tmp_path / 'updown.sqlite'}")
    else:
        with temporary_database("pandawa_mig") as url:
            run(url.replace("postgresql://", "postgresql+psycopg://"))
