"""The lines `pandawa catalog load` shows for the parts kept only in the catalogue document."""

from __future__ import annotations

import copy

from pandawa.catalog.loader import load_file
from pandawa.catalog.schema import SHIPPED_CATALOG
from pandawa.provisioning.diff import document_changes


def shipped() -> dict:
    return load_file(SHIPPED_CATALOG).model_dump(mode="json")


def test_the_same_document_has_no_changes():
    assert document_changes(shipped(), shipped()) == []


def test_closures_holidays_texts_and_templates_are_named():
    old = shipped()
    old["offices"][0]["closures"] = [{"date": "2026-12-24", "reason": "Natal"}]
    new = copy.deepcopy(old)
    new["offices"][0]["closures"] = [{"date": "2026-12-31", "reason": "Tutup buku"}]
    new["offices"][0]["holidays"] = {"country": "ID", "categories": ["public"]}
    del new["texts"]["slow_down"]
    new["templates"]["ticket_idle_closed"]["content_sid"] = "HX" + "9" * 32
    new["default_queue"] = "PENGADUAN"

    lines = [str(change) for change in document_changes(old, new)]

    assert lines == [
        "  changed  catalogue default_queue 'INFORMASI_UMUM' → 'PENGADUAN'",
        "  changed  office JKT-PUSAT holidays: 'ID public+government' → 'ID public'",
        "  removed  office JKT-PUSAT closure 2026-12-24 'Natal'",
        "  added    office JKT-PUSAT closure 2026-12-31 'Tutup buku'",
        "  removed  text slow_down (the shipped wording applies)",
        f"  changed  template ticket_idle_closed content_sid: "
        f"'{old['templates']['ticket_idle_closed']['content_sid']}' → 'HX{'9' * 32}'",
    ]


def test_a_first_load_counts_the_document_parts():
    lines = [str(change) for change in document_changes(None, shipped())]

    assert lines[0].startswith("  added    text (")
    assert [line.split()[1] for line in lines] == ["text", "template", "menu", "faq"]
