"""`pandawa db …`: the database schema (Alembic migrations)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from pandawa.core.migrations import upgrade


@click.group()
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    upgrade(current_app.config["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo(f"database at {revision}")
