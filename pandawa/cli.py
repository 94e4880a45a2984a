"""The `pandawa` command: the app's commands (each feature's `cli.py`, registered by
create_app) behind one entry point that turns a bad setting into `configuration error`."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from pandawa.app import create_app
from pandawa.core.config import ConfigError

cli = FlaskGroup(
    name="pandawa",
    create_app=create_app,
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
