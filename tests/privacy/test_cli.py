"""`pandawa privacy export|erase` as an operator runs them, on a citizen whose data came in
through the webhook."""

from __future__ import annotations

import json
import logging
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.citizens.models import Contact
from pandawa.core.extensions import db
from pandawa.reports.scope import scope_for_days
from pandawa.reports.snapshots import AllQueues, compute
from pandawa.tickets.models import Ticket
from tests.citizen_story import JPEG, NIK, NUMBER_FORMS


@pytest.fixture
def cli(app, session):
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return run


def _figures(session):
    scope = scope_for_days(date(2026, 11, 1), date(2026, 12, 31), "Asia/Jakarta")
    page = compute(session, AllQueues(), scope)
    return page.by_queue, page.total, page.hours, page.weekdays, page.buckets, page.sla_days


def _every_text(session) -> str:
    """Every text and JSON value of every table, as one string."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [
            sa.cast(c, sa.Text)
            for c in table.columns
            if isinstance(c.type, (sa.String, sa.Text, sa.JSON)) or "JSON" in str(c.type)
        ]
        if columns:
            for row in session.execute(sa.select(*columns)):
                found.extend(str(v) for v in row if v is not None)
    return "\n".join(found)


def test_export_holds_messages_tickets_details_media_and_audit(cli, session, story, tmp_path):
    target = tmp_path / "out.zip"

    result = cli("privacy", "export", "--phone", "0812-3456-7890", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert "81234567890" not in result.output
    archive = zipfile.ZipFile(target)
    names = set(archive.namelist())
    assert {"README.txt", "contacts.json", "messages.json", "tickets.json", "audit.json"} <= names
    [contact] = json.loads(archive.read("contacts.json"))
    assert contact["address"] == "whatsapp:+6281234567890" and contact["name"] == "Siti"
    bodies = [m["body"] for m in json.loads(archive.read("messages.json"))]
    assert NIK in bodies and "foto KTP saya" in bodies
    assert any(b.startswith("Baik Ibu Siti") for b in bodies)  # the agent's reply
    assert "Warga 081234567890 minta ditelepon balik." in bodies  # the internal note
    [ticket] = json.loads(archive.read("tickets.json"))
    assert ticket["details"]["nik"] == NIK and ticket["satisfaction"] == 5
    assert {"created", "claimed", "replied", "resolved", "rated"} <= {
        e["kind"] for e in ticket["events"]
    }
    assert archive.read(f"media/{story.photo_path.name}") == JPEG
    [audit] = json.loads(archive.read("audit.json"))
    assert (audit["action"], audit["actor_label"]) == ("privacy_export", "cli")
    assert audit["contact_id"] == story.contact_id


def test_erase_leaves_no_number_nik_or_file_and_the_figures_unchanged(
    cli, session, story, caplog, clock
):
    before = _figures(session)
    text = _every_text(session)
    assert NIK in text and all(form in text for form in NUMBER_FORMS)  # the scan sees them
    assert story.photo_path.exists()

    with caplog.at_level(logging.DEBUG):
        result = cli("privacy", "erase", "--phone", "whatsapp:+6281234567890", "--yes")

    assert result.exit_code == 0, result.output
    session.expire_all()
    text = _every_text(session)
    for secret in (NIK, *NUMBER_FORMS):
        assert secret not in text
        assert secret not in caplog.text
        assert secret not in result.output
    assert "Siti" not in text.replace("Ibu Siti", "")  # the profile name is gone
    assert not story.photo_path.exists()
    assert not any(JPEG == p.read_bytes() for p in story.photo_path.parent.glob("*"))
    contact = session.get(Contact, story.contact_id)
    assert (contact.address, contact.erased_at) == (f"erased:{contact.id}", clock.now())
    ticket = session.get(Ticket, story.ticket_id)
    assert ticket.status == "resolved" and ticket.satisfaction == 5
    assert ticket.details == {"service": ticket.details["service"]}
    assert _figures(session) == before
    audit = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "privacy_erase")).all()
    assert [(a.contact_id, a.actor_label) for a in audit] == [(story.contact_id, "cli")]


def test_erasing_twice_finds_nothing_left_and_exporting_says_so(cli, session, story):
    assert cli("privacy", "erase", "--phone", "081234567890", "--yes").exit_code == 0
    session.expire_all()
    snapshot = _every_text(session)

    again = cli("privacy", "erase", "--phone", "+6281234567890", "--yes")
    export = cli("privacy", "export", "--phone", "081234567890")

    assert again.exit_code == 0
    assert "Tidak ada data" in again.output and "No data held" in again.output
    assert export.exit_code == 1 and "sudah dihapus" in export.output
    session.expire_all()
    assert _every_text(session) == snapshot


def test_erase_asks_first_and_a_no_keeps_everything(cli, session, story):
    result = cli("privacy", "erase", "--phone", "081234567890", input="n\n")

    assert result.exit_code == 1
    assert "Erase +62812****7890" in result.output
    session.expire_all()
    assert session.get(Contact, story.contact_id).erased_at is None
    assert story.photo_path.exists()


def test_a_bad_number_is_refused(cli, session):
    result = cli("privacy", "export", "--phone", "abc")
    assert result.exit_code == 1 and "Nomor telepon tidak dikenali" in result.output
