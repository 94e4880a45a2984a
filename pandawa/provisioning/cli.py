"""`pandawa catalog …`: check and load the service catalogue."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from pandawa.catalog.loader import CatalogError, load_file
from pandawa.core.extensions import db
from pandawa.provisioning.operations import contents, load_catalog_report

FILE = click.Path(dir_okay=False, path_type=Path)


@click.group()
def catalog_group() -> None:
    """The service catalogue (offices, queues, menu, texts)."""


@catalog_group.command("check")
@click.argument("file", type=FILE)
def check_command(file: Path) -> None:
    """Validate FILE without loading it; exit 1 with the problems when it is invalid."""
    try:
        catalog = load_file(file)
    except CatalogError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None

    click.echo(f"{file}: valid ({contents(catalog)})")


@catalog_group.command("load")
@click.argument("file", type=FILE)
@with_appcontext
def load_command(file: Path) -> None:
    """Validate FILE, store it as the catalogue in force, update offices and queues."""

    try:
        report = load_catalog_report(db.session, file)
    except CatalogError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(report.summary())
