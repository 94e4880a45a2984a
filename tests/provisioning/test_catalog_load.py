"""`pandawa catalog load [FILE]` as a release step runs it: the default file, idempotence,
the diff before applying, open tickets never orphaned, --move-open, --dry-run, progress."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
import sqlalchemy as sa

from pandawa.catalog.models import CatalogRevision
from pandawa.catalog.schema import SHIPPED_CATALOG
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue, Ticket, TicketEvent
from tests.catalog.editing import edit
from tests.harness import EXAMPLE
from tests.statements import statements_sent

SHA = hashlib.sha256(SHIPPED_CATALOG.read_bytes()).hexdigest()
NEW_QUEUE = """  - code: LANSIA
    name: {id: Layanan Lansia, en: Senior citizens}
    sla_minutes: 15

# where `petugas`"""


@pytest.fixture
def cli(app, session):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=["catalog", "load", *args])

    return run


def revisions(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(CatalogRevision))


def queues(session) -> dict[str, Queue]:
    session.expire_all()
    return {q.code: q for q in session.scalars(sa.select(Queue))}


def renamed(text: str) -> str:
    """The default with queue IURAN_TAGIHAN replaced by IURAN (the menu follows): a removed
    queue and an added one."""
    return text.replace("IURAN_TAGIHAN", "IURAN")


@pytest.fixture
def loaded(cli, session):
    """The shipped catalogue in force (revision 1)."""
    result = cli()
    assert result.exit_code == 0, result.output
    session.expire_all()


@pytest.fixture
def open_tickets(loaded, session, make_ticket, make_conversation, make_user):
    """In IURAN_TAGIHAN: one ticket waiting, one deferred, one assigned, one resolved."""
    office = session.scalar(sa.select(Office).where(Office.code == "JKT-PUSAT"))
    queue = queues(session)["IURAN_TAGIHAN"]
    agent = make_user(queues=[queue])
    tickets = {
        status: make_ticket(
            queue=queue,
            status=status,
            assignee=agent if status in ("assigned", "resolved") else None,
            conversation=make_conversation(office=office),
        )
        for status in ("waiting", "deferred", "assigned", "resolved")
    }
    session.commit()  # the command's rollback on refusal must not take the fixtures with it
    return {status: ticket.id for status, ticket in tickets.items()}


def test_without_an_argument_the_shipped_catalogue_is_loaded(cli, session):
    result = cli()

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"Memuat katalog / loading catalogue: {SHIPPED_CATALOG} "
        "(katalog bawaan / shipped default)\n"
    )
    assert "  added    queue PENGADUAN 'Pengaduan' (SLA 20 min)" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("Katalog dimuat / catalogue loaded: revision ")
    assert session.scalar(sa.select(CatalogRevision.source)) == str(SHIPPED_CATALOG)
    assert set(queues(session)) >= {"PENGADUAN", "IURAN_TAGIHAN"}


def test_without_an_argument_pandawa_catalog_is_loaded_when_set(app, cli, session, monkeypatch):
    settings = dataclasses.replace(settings_of(app), catalog_path=str(EXAMPLE))
    monkeypatch.setitem(app.extensions, "pandawa.settings", settings)

    result = cli()

    assert result.exit_code == 0, result.output
    assert f"loading catalogue: {EXAMPLE} (PANDAWA_CATALOG)\n" in result.stdout
    assert "  added    office BANDUNG" in result.stdout
    assert session.scalar(sa.select(CatalogRevision.source)) == str(EXAMPLE)


def test_without_pandawa_catalog_a_catalogue_loaded_by_hand_stays_in_force(cli, session):
    assert cli(str(EXAMPLE)).exit_code == 0
    revision = session.scalar(sa.select(CatalogRevision.id))

    result = cli()  # the release, on the next deploy

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"Tidak ada perubahan / no change: catalogue revision {revision} from {EXAMPLE} is in "
        "force and "
        "PANDAWA_CATALOG is not set; the shipped default is not loaded over it"
    )
    assert revisions(session) == 1
    assert session.scalar(sa.select(Office.is_active).where(Office.code == "BANDUNG"))


def test_the_same_content_twice_is_no_change(cli, session, clock, loaded, write_catalog):
    before = session.scalar(sa.select(Office.updated_at))
    revision = session.scalar(sa.select(CatalogRevision.id))
    clock.advance(hours=1)

    again = cli()
    # the same content from another file, comments changed: still the same catalogue
    copy = cli(str(write_catalog("# copied\n" + SHIPPED_CATALOG.read_text(encoding="utf-8"))))

    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == (
        f"Tidak ada perubahan / no change: catalogue revision {revision} "
        f"(sha256 {SHA[:12]}) is already in force"
    )
    assert "changes" not in again.stdout
    assert copy.exit_code == 0, copy.output
    assert "Tidak ada perubahan / no change" in copy.stdout
    assert revisions(session) == 1
    session.expire_all()
    assert session.scalar(sa.select(Office.updated_at)) == before


def test_a_changed_file_shows_what_it_adds_changes_and_removes(
    cli, session, loaded, default_text, write_catalog
):
    text = renamed(default_text)
    text = edit(text, 'mon: ["08:00-15:00"]', 'mon: ["08:00-14:00"]')
    text = edit(text, "sla_minutes: 20", "sla_minutes: 25")
    text = edit(text, "closures: []", 'closures: [{date: 2026-12-31, reason: "Tutup buku"}]')
    text = edit(text, "Terima kasih telah menghubungi kami.", "Ada yang bisa kami bantu?")
    text = edit(text, "\n# where `petugas`", NEW_QUEUE)

    result = cli(str(write_catalog(text)))

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == "Perubahan / changes (8 changes):"
    assert lines[2:-1] == [
        "  changed  office JKT-PUSAT hours.mon: 08:00-15:00 → 08:00-14:00",
        "  added    queue IURAN 'Iuran & Tagihan' (SLA 30 min)",
        "  changed  queue PENGADUAN sla_minutes: 20 → 25",
        "  added    queue LANSIA 'Layanan Lansia' (SLA 15 min)",
        "  removed  queue IURAN_TAGIHAN (deactivated; its closed tickets keep it)",
        "  added    office JKT-PUSAT closure 2026-12-31 'Tutup buku'",
        "  changed  text greeting id: '…esehatan. Terima kasih telah menghubun…'"
        " → '…esehatan. Ada yang bisa kami bantu?'",
        "  changed  menu 4.3 queue: 'IURAN_TAGIHAN' → 'IURAN'",
    ]
    assert lines[-1].endswith("; deactivated queue IURAN_TAGIHAN")
    assert revisions(session) == 2
    rows = queues(session)
    assert not rows["IURAN_TAGIHAN"].is_active
    assert rows["IURAN"].is_active and rows["LANSIA"].sla_seconds == 15 * 60
    assert rows["PENGADUAN"].sla_seconds == 25 * 60


def test_a_queue_with_open_tickets_is_not_removed(
    cli, session, open_tickets, default_text, write_catalog
):
    with statements_sent(db.engine) as sent:
        result = cli(str(write_catalog(renamed(default_text))))

    assert result.exit_code == 1
    assert "  removed  queue IURAN_TAGIHAN" in result.stdout  # what it would have done
    assert (
        "Ditolak / refused: antrean IURAN_TAGIHAN dihapus padahal 3 tiketnya masih terbuka / "
        "queue IURAN_TAGIHAN would be removed while 3 of its tickets are open "
        "(deferred, waiting or assigned); move them with --move-open IURAN_TAGIHAN=QUEUE"
    ) in result.stderr
    assert "nothing was changed" in result.stderr
    # the open tickets are counted in one query, whatever their number
    assert sum(1 for s in sent if "count(" in s.lower() and "FROM ticket" in s) == 1
    assert revisions(session) == 1
    rows = queues(session)
    assert rows["IURAN_TAGIHAN"].is_active and "IURAN" not in rows
    assert {t.queue_id for t in session.scalars(sa.select(Ticket))} == {rows["IURAN_TAGIHAN"].id}


def test_move_open_moves_the_open_tickets_in_the_same_load(
    cli, session, open_tickets, default_text, write_catalog
):
    path = write_catalog(renamed(default_text))

    result = cli(str(path), "--move-open", "IURAN_TAGIHAN=IURAN")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith(
        "; deactivated queue IURAN_TAGIHAN; moved 3 open tickets IURAN_TAGIHAN → IURAN"
    )
    session.expire_all()
    rows = queues(session)
    tickets = {s: session.get(Ticket, i) for s, i in open_tickets.items()}
    assert {s: t.queue.code for s, t in tickets.items()} == {
        "waiting": "IURAN",
        "deferred": "IURAN",
        "assigned": "IURAN",
        "resolved": "IURAN_TAGIHAN",  # closed: it keeps its queue
    }
    # as an agent's transfer: a deferred ticket stays deferred, a held one waits again
    assert {s: t.status for s, t in tickets.items()} == {
        "waiting": "waiting",
        "deferred": "deferred",
        "assigned": "waiting",
        "resolved": "resolved",
    }
    assert tickets["assigned"].assignee_id is None
    assert tickets["assigned"].transfer_count == 1
    revision = session.scalar(sa.select(sa.func.max(CatalogRevision.id)))
    events = session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == "transferred"))
    assert sorted((e.ticket_id, e.actor_id, e.data["from"], e.data["to"]) for e in events) == [
        (open_tickets[s], None, "IURAN_TAGIHAN", "IURAN")
        for s in sorted(("waiting", "deferred", "assigned"), key=open_tickets.get)
    ]
    assert all(
        e.data["reason"] == f"katalog revisi {revision} / catalogue revision {revision}"
        for e in session.scalars(sa.select(TicketEvent))
    )
    assert not rows["IURAN_TAGIHAN"].is_active


@pytest.mark.parametrize(
    ("move", "message"),
    [
        ("IURAN_TAGIHAN=NOWHERE", "queue NOWHERE is not in the new catalogue"),
        ("PENGADUAN=IURAN", "queue PENGADUAN is not removed by this catalogue"),
    ],
)
def test_move_open_must_name_a_removed_queue_and_one_of_the_new_catalogue(
    cli, session, open_tickets, default_text, write_catalog, move, message
):
    result = cli(str(write_catalog(renamed(default_text))), "--move-open", move)

    assert result.exit_code == 1
    assert message in result.stderr
    assert revisions(session) == 1


def test_an_office_with_open_tickets_is_not_removed(
    cli, session, make_ticket, make_conversation, make_queue
):
    assert cli(str(EXAMPLE)).exit_code == 0
    bandung = session.scalar(sa.select(Office).where(Office.code == "BANDUNG"))
    make_ticket(queue=queues(session)["PENGADUAN"], conversation=make_conversation(office=bandung))
    session.commit()

    result = cli(str(SHIPPED_CATALOG))

    assert result.exit_code == 1
    assert "office BANDUNG would be removed while 1 of its tickets are open" in result.stderr
    assert revisions(session) == 1


def test_dry_run_shows_the_changes_and_writes_nothing(
    cli, session, open_tickets, default_text, write_catalog
):
    path = write_catalog(renamed(default_text))

    result = cli(str(path), "--dry-run", "--move-open", "IURAN_TAGIHAN=IURAN")

    assert result.exit_code == 0, result.output
    assert "  added    queue IURAN 'Iuran & Tagihan' (SLA 30 min)" in result.stdout
    assert result.stdout.splitlines()[-1].startswith(
        "Uji coba, tidak ada yang diubah / dry run, nothing changed: 3 changes from "
    )
    assert revisions(session) == 1
    rows = queues(session)
    assert rows["IURAN_TAGIHAN"].is_active and "IURAN" not in rows
    assert session.scalar(sa.select(sa.func.count()).select_from(TicketEvent)) == 0


def test_progress_goes_to_stderr_and_stdout_ends_with_the_summary(cli, session):
    result = cli()

    assert "progres / progress: offices 1/1, queues 5/5" in result.stderr
    assert "progress" not in result.stdout


def test_a_long_load_reports_progress_every_tenth(cli, session, default_text, write_catalog):
    extra = "".join(
        f"  - code: LAYANAN_{n:03d}\n    name: {{id: Layanan {n}, en: Service {n}}}\n"
        "    sla_minutes: 30\n"
        for n in range(115)
    )
    path = write_catalog(edit(default_text, "\n# where `petugas`", f"{extra}\n# where `petugas`"))

    result = cli(str(path))

    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("progres")]
    assert progress[0] == "progres / progress: offices 1/1"
    assert progress[1] == "progres / progress: offices 1/1, queues 12/120"
    assert progress[-1] == "progres / progress: offices 1/1, queues 120/120"
    assert len(progress) == 11
    assert result.stdout.splitlines()[-1].startswith("Katalog dimuat / catalogue loaded:")
