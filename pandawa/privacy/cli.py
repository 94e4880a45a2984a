"""`pandawa privacy export|erase --phone NUMBER`: a citizen's data (UU 27/2022). Each command
commits once; the act is audited with the actor `cli` and no number."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from pandawa.citizens.masking import mask_phone
from pandawa.core import clock
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.privacy.erasure import erase_citizen, remove_files
from pandawa.privacy.export import export_citizen
from pandawa.privacy.lookup import BadNumber, find_contacts, international_digits
from pandawa.privacy.records import gather

NOTHING_HELD = (
    "Tidak ada data untuk nomor {masked}: tidak pernah ada, atau sudah dihapus. / "
    "No data held for {masked}: none, or already erased."
)


@click.group()
def privacy_group() -> None:
    """A citizen's personal data: export and erasure (UU No. 27/2022)."""


def _contacts(phone: str) -> tuple[list, str]:
    try:
        masked = mask_phone("+" + international_digits(phone))
    except BadNumber as exc:
        raise click.ClickException(str(exc)) from exc
    return find_contacts(db.session, phone), masked


@privacy_group.command("export")
@click.option("--phone", required=True, metavar="NUMBER", help="0812…, +62812… or whatsapp:+62…")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the zip (default: privacy-export-<time>.zip here).",
)
@with_appcontext
def export_command(phone: str, output: Path | None) -> None:
    """Write everything held about the citizen to one zip (JSON and the original files)."""
    contacts, masked = _contacts(phone)
    if not contacts:
        db.session.rollback()
        raise click.ClickException(NOTHING_HELD.format(masked=masked))
    export = export_citizen(
        db.session, current_settings(), contacts, actor_label="cli", address="cli"
    )
    target = output or Path(f"privacy-export-{clock.now():%Y%m%dT%H%M%SZ}.zip")
    target.write_bytes(export.archive)
    db.session.commit()
    click.echo(
        f"{target}: {export.messages} pesan/messages, {export.tickets} tiket/tickets, "
        f"{export.files} berkas/files"
    )


@privacy_group.command("erase")
@click.option("--phone", required=True, metavar="NUMBER", help="0812…, +62812… or whatsapp:+62…")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(phone: str, yes: bool) -> None:
    """Erase the citizen's messages, media, details, name and number; keep anonymous counts."""
    contacts, masked = _contacts(phone)
    if not contacts:
        db.session.rollback()
        click.echo(NOTHING_HELD.format(masked=masked))
        return
    found = gather(db.session, contacts)
    open_tickets = sum(t.is_open for t in found.tickets)
    if not yes:
        click.confirm(
            f"Hapus data {masked}: {len(found.messages)} pesan, {len(found.tickets)} tiket "
            f"({open_tickets} masih terbuka)? / Erase {masked}'s data: "
            f"{len(found.messages)} messages, {len(found.tickets)} tickets "
            f"({open_tickets} still open)?",
            abort=True,
        )
    done = erase_citizen(db.session, current_settings(), contacts, actor_label="cli", address="cli")
    db.session.commit()
    remove_files(done.files)
    counts = done.counts()
    click.echo(
        f"Dihapus / erased {masked}: {counts['messages']} pesan/messages, "
        f"{counts['tickets']} tiket/tickets, {counts['files']} berkas/files."
    )
