"""Loading a catalogue into the database: revisions, offices, queues, the catalogue in force."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
import sqlalchemy as sa

from pandawa.catalog.loader import CatalogError
from pandawa.catalog.models import CatalogRevision
from pandawa.catalog.queries import CatalogMissing, active_catalog
from pandawa.catalog.schema import SHIPPED_CATALOG
from pandawa.core.config import settings_of
from pandawa.hours.models import Office
from pandawa.provisioning.operations import load_catalog, load_default
from pandawa.tickets.models import Queue
from tests.catalog.editing import edit
from tests.harness import EXAMPLE


def offices(session) -> dict[str, Office]:
    return {o.code: o for o in session.scalars(sa.select(Office))}


def queues(session) -> dict[str, Queue]:
    return {q.code: q for q in session.scalars(sa.select(Queue))}


def test_loading_the_default_stores_a_revision_and_creates_offices_and_queues(session, clock):
    revision = load_catalog(session, SHIPPED_CATALOG)

    # stored: the one row of catalog_revision is this revision
    assert session.scalars(sa.select(CatalogRevision.id)).all() == [revision.id]
    assert revision.sha256 == hashlib.sha256(SHIPPED_CATALOG.read_bytes()).hexdigest()
    assert revision.loaded_at == clock.now()
    assert revision.document["version"] == 1

    office = offices(session)["JKT-PUSAT"]
    assert office.whatsapp_address == "whatsapp:+6281180001500"
    assert office.timezone == "Asia/Jakarta"
    assert office.weekly_hours["mon"] == [["08:00", "15:00"]]
    assert office.weekly_hours["sun"] == []
    assert office.is_active

    rows = queues(session)
    assert set(rows) == {
        "KEPESERTAAN",
        "PERUBAHAN_FASKES",
        "IURAN_TAGIHAN",
        "PENGADUAN",
        "INFORMASI_UMUM",
    }
    assert rows["PENGADUAN"].name_id == "Pengaduan"
    assert rows["PENGADUAN"].name_en == "Complaints"
    assert rows["PENGADUAN"].sla_seconds == 20 * 60
    assert not rows["PENGADUAN"].is_auto_assign


def test_loading_the_same_file_twice_stores_no_revision_and_changes_no_row(session, clock):
    first = load_catalog(session, SHIPPED_CATALOG)
    before = {code: o.updated_at for code, o in offices(session).items()}
    clock.advance(hours=1)

    assert load_catalog(session, SHIPPED_CATALOG) is first  # the revision in force

    assert session.scalar(sa.select(sa.func.count()).select_from(CatalogRevision)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Office)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Queue)) == 5
    assert {code: o.updated_at for code, o in offices(session).items()} == before


def test_a_new_catalogue_updates_rows_and_deactivates_what_it_dropped(session, clock):
    load_catalog(session, SHIPPED_CATALOG)
    clock.advance(days=1)

    load_catalog(session, EXAMPLE)

    rows = offices(session)
    assert set(rows) == {"JKT-PUSAT", "MAKASSAR", "JAYAPURA", "BANDUNG"}
    assert rows["JKT-PUSAT"].whatsapp_address == "whatsapp:+6281180001600"  # updated in place
    assert rows["JKT-PUSAT"].updated_at == clock.now()
    assert rows["MAKASSAR"].timezone == "Asia/Makassar"
    assert rows["MAKASSAR"].weekly_hours["fri"] == [["08:00", "11:30"], ["13:00", "15:00"]]
    assert rows["BANDUNG"].weekly_hours["sat"] == [["08:00", "12:00"]]
    assert all(o.is_active for o in rows.values())

    qs = queues(session)
    assert {code for code, q in qs.items() if q.is_active} == {
        "KEPESERTAAN",
        "PENGADUAN",
        "INFORMASI_UMUM",
    }
    assert not qs["PERUBAHAN_FASKES"].is_active  # kept: old tickets refer to it
    assert not qs["IURAN_TAGIHAN"].is_active
    assert qs["INFORMASI_UMUM"].is_auto_assign


def test_a_dropped_office_is_deactivated_and_comes_back_when_listed_again(session):
    load_catalog(session, EXAMPLE)
    load_catalog(session, SHIPPED_CATALOG)

    assert {c for c, o in offices(session).items() if not o.is_active} == {
        "MAKASSAR",
        "JAYAPURA",
        "BANDUNG",
    }

    load_catalog(session, EXAMPLE)

    assert all(o.is_active for o in offices(session).values())


def test_an_invalid_file_writes_nothing(session, write_catalog, default_text):
    load_catalog(session, SHIPPED_CATALOG)
    broken = edit(default_text, "timezone: Asia/Jakarta", "timezone: Asia/Jakrta")
    broken = edit(
        broken, "name: {id: Pengaduan, en: Complaints}", "name: {id: Aduan, en: Complaints}"
    )

    with pytest.raises(CatalogError):
        load_catalog(session, write_catalog(broken))

    assert session.scalar(sa.select(sa.func.count()).select_from(CatalogRevision)) == 1
    assert queues(session)["PENGADUAN"].name_id == "Pengaduan"


def test_without_a_catalogue_the_operator_is_told_what_to_run(session):
    with pytest.raises(CatalogMissing, match="run `pandawa catalog load` "):
        active_catalog()


def test_the_newest_revision_is_in_force(session):
    load_catalog(session, SHIPPED_CATALOG)
    first = active_catalog()

    assert [o.code for o in first.offices] == ["JKT-PUSAT"]
    assert active_catalog() is first  # validated once per revision, then cached

    load_catalog(session, EXAMPLE)

    assert len(active_catalog().offices) == 4


def test_load_default_reads_the_shipped_file(session):
    revision = load_default(session)

    assert revision.source == str(SHIPPED_CATALOG)


def test_load_default_follows_the_pandawa_catalog_setting(app, session, monkeypatch):
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions, "pandawa.settings", dataclasses.replace(settings, catalog_path=str(EXAMPLE))
    )

    revision = load_default(session)

    assert revision.source == str(EXAMPLE)
    assert "BANDUNG" in offices(session)
