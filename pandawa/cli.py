"""The `pandawa` command. Each feature adds its own group from its `cli.py`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from pandawa.admin.cli import tokens_group, users_group
from pandawa.core.config import ConfigError
from pandawa.core.migrations import upgrade
from pandawa.devstack import dev_command
from pandawa.hours.cli import closures_group, hours_group, office_group
from pandawa.provisioning.cli import catalog_group


def _create_app() -> Flask:
    from pandawa.app import create_app

    return create_app()


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


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_group, "db")
    app.cli.add_command(catalog_group, "catalog")
    app.cli.add_command(users_group, "users")
    app.cli.add_command(tokens_group, "tokens")
    app.cli.add_command(dev_command, "dev")
    app.cli.add_command(closures_group, "closures")
    app.cli.add_command(hours_group, "hours")
    app.cli.add_command(office_group, "office")


cli = FlaskGroup(
    name="pandawa",
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    help="Pandawa: WhatsApp administrative-service gateway.",
)


def main() -> None:
    try:
        cli.main(prog_name="pandawa")
    except ConfigError as exc:
        click.echo(f"pandawa: configuration error: {exc}", err=True)
        sys.exit(2)
