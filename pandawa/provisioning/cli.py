"""`pandawa catalog …`: check and load the service catalogue."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from pandawa.catalog.loader import CatalogError, default_catalog_path, load_file
from pandawa.catalog.models import CatalogRevision
from pandawa.catalog.schema import SHIPPED_CATALOG
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.provisioning.operations import (
    LoadRefused,
    LoadReport,
    contents,
    diff_count,
    load_catalog_report,
)

FILE = click.Path(dir_okay=False, path_type=Path)
# a long section reports every tenth of its rows; a short one only when done
LONG_SECTION = 100
# how a revision loaded from the shipped catalogue names its source, wherever it is installed
SHIPPED_SUFFIX = f"{SHIPPED_CATALOG.parent.name}/{SHIPPED_CATALOG.name}"


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


def _moves(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict:
    moves: dict[str, str] = {}
    for value in values:
        source, sep, target = value.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target:
            raise click.BadParameter(f"{value!r}: write OLD_QUEUE=NEW_QUEUE")
        if source in moves:
            raise click.BadParameter(f"queue {source} is named twice")
        moves[source] = target
    return moves


@catalog_group.command("load")
@click.argument("file", type=FILE, required=False)
@click.option("--dry-run", is_flag=True, help="Show what the load would change; change nothing.")
@click.option(
    "--move-open",
    "moves",
    multiple=True,
    metavar="OLD=NEW",
    callback=_moves,
    help="Move the open tickets of queue OLD, which the catalogue removes, to queue NEW of "
    "the new catalogue (repeatable).",
)
@with_appcontext
def load_command(file: Path | None, dry_run: bool, moves: dict[str, str]) -> None:
    """Validate FILE (default: PANDAWA_CATALOG, else the shipped catalogue), show what it
    changes and put it in force: offices, queues, hours, texts, templates.

    The same content again changes nothing ("no change", exit 0). A load that would remove a
    queue or office with open tickets is refused (exit 1) unless --move-open says where the
    queue's tickets go. Progress goes to stderr; the last line of stdout is the summary.
    """
    path = file or default_catalog_path()
    in_force = _own_catalogue_in_force() if file is None else None
    if in_force is not None:
        # the release runs this on every deploy: without PANDAWA_CATALOG it must not put the
        # shipped default over the catalogue an operator loaded from a file by hand
        click.echo(
            "Tidak ada perubahan / no change: catalogue revision "
            f"{in_force.id} from {in_force.source} is in force and PANDAWA_CATALOG is not set; "
            "the shipped default is not loaded over it (set PANDAWA_CATALOG to that file, or "
            "name the file to load)"
        )
        return
    click.echo(f"Memuat katalog / loading catalogue: {path}{_origin(file)}")
    try:
        report = load_catalog_report(
            db.session, path, moves=moves, dry_run=dry_run, progress=_Progress()
        )
    except CatalogError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    except LoadRefused as exc:
        db.session.rollback()
        if exc.report is not None:
            _show_changes(exc.report)
        click.echo(str(exc), err=True)
        click.echo("Tidak ada yang diubah / nothing was changed", err=True)
        raise SystemExit(1) from None
    if not report.unchanged:
        _show_changes(report)
    if report.unchanged or report.dry_run:
        db.session.rollback()  # nothing written; ends the planning's row locks
    else:
        db.session.commit()
    click.echo(report.summary())


def _own_catalogue_in_force() -> CatalogRevision | None:
    """The revision in force when PANDAWA_CATALOG is unset and it came from another file than
    the shipped catalogue (wherever the package was installed)."""
    if current_settings().catalog_path:
        return None
    revision = db.session.scalar(
        sa.select(CatalogRevision).order_by(CatalogRevision.id.desc()).limit(1)
    )
    if revision is None or revision.source.endswith(SHIPPED_SUFFIX):
        return None
    return revision


def _origin(file: Path | None) -> str:
    if file is not None:
        return ""
    if current_settings().catalog_path:
        return " (PANDAWA_CATALOG)"
    return " (katalog bawaan / shipped default)"


def _show_changes(report: LoadReport) -> None:
    click.echo(f"Perubahan / changes ({diff_count(report.changes)}):")
    for change in report.changes:
        click.echo(str(change))


class _Progress:
    """`progres / progress: offices 3/3, queues 40/120` on stderr, for long loads."""

    def __init__(self) -> None:
        self.sections: dict[str, tuple[int, int]] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        self.sections[label] = (done, total)
        step = max(1, total // 10)
        if done == total or (total >= LONG_SECTION and done % step == 0):
            shown = ", ".join(f"{name} {d}/{t}" for name, (d, t) in self.sections.items())
            click.echo(f"progres / progress: {shown}", err=True)
