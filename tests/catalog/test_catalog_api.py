"""What the conversation layer reads from a catalogue: texts, menus, queues, offices."""

from __future__ import annotations

import pytest

from pandawa.catalog.loader import load_file
from pandawa.catalog.schema import SHIPPED_CATALOG
from tests.harness import EXAMPLE


@pytest.fixture(scope="module")
def catalog():
    return load_file(SHIPPED_CATALOG)


@pytest.fixture(scope="module")
def example():
    return load_file(EXAMPLE)


def test_the_main_menu_in_bahasa_indonesia(catalog):
    assert catalog.render_menu("id") == (
        "Silakan pilih layanan yang Bapak/Ibu butuhkan:\n"
        "\n"
        "1. Tentang layanan Pandawa\n"
        "2. Kepesertaan JKN\n"
        "3. Perubahan faskes (FKTP)\n"
        "4. Iuran dan tagihan\n"
        "5. Pengaduan layanan\n"
        "6. Bicara dengan petugas\n"
        "\n"
        "Balas dengan *angka* pilihan Bapak/Ibu. Ketik *menu* untuk kembali ke menu utama, "
        "*petugas* untuk berbicara dengan petugas, atau *english* for English."
    )


def test_the_main_menu_in_english(catalog):
    menu = catalog.render_menu("en").splitlines()

    assert menu[0] == "Please choose the service you need:"
    assert menu[2:8] == [
        "1. About the Pandawa service",
        "2. JKN membership",
        "3. Change of primary health facility (FKTP)",
        "4. Contributions and bills",
        "5. Complaints",
        "6. Talk to an officer",
    ]
    assert menu[-1].startswith("Reply with the *number* of your choice.")


def test_a_submenu_is_headed_by_its_option(catalog):
    menu = catalog.render_menu("id", ("4",))

    assert menu.startswith("*Iuran dan tagihan*\nSilakan pilih:\n\n1. Besaran iuran")
    assert "3. Cek tagihan, tunggakan, atau cicilan (REHAB)" in menu


def test_an_unknown_language_falls_back_to_the_default_language(catalog):
    assert catalog.render_menu("fr") == catalog.render_menu("id")
    assert catalog.text("menu_header", None) == catalog.text("menu_header", "id")


def test_text_fills_in_its_fields(catalog):
    text = catalog.text("ticket_created", "en", ticket="PDW-0042", queue="Complaints")

    assert "ticket number *PDW-0042* for Complaints" in text


def test_text_refuses_unknown_keys_and_missing_fields(catalog):
    with pytest.raises(LookupError, match="unknown catalogue text 'no_such_text'"):
        catalog.text("no_such_text", "id")
    with pytest.raises(LookupError, match="needs the field 'ticket'"):
        catalog.text("ticket_resolved", "id")


def test_an_optional_text_left_out_comes_from_the_shipped_catalogue(catalog, example):
    assert "ask_region" not in example.texts

    assert example.text("ask_region", "id") == catalog.text("ask_region", "id")
    assert example.text("ticket_message_received", "id") == ""


def test_menu_lookup_by_key_path(catalog):
    assert [item.key for item in catalog.menu_items(())] == ["1", "2", "3", "4", "5", "6"]
    assert [item.key for item in catalog.menu_items(("2",))] == ["1", "2", "3", "4"]
    assert catalog.menu_items(("3",)) == []  # a handoff has no submenu
    assert catalog.menu_items(("9",)) == []

    item = catalog.find_menu_item(("2", "3"))
    assert item.queue == "KEPESERTAAN"
    assert [step.type for step in item.collect] == ["nik", "text"]
    # the KTP and KK photos are the checklist's documents now (issue 17)
    assert [entry.kind for entry in item.checklist] == ["check", "document", "document", "document"]
    assert item.label_for("en") == "Update details or add a family member"
    assert catalog.find_menu_item(("2", "9")) is None
    assert catalog.find_menu_item(("3", "1")) is None


def test_queues_templates_and_offices(catalog, example):
    assert catalog.queue("PENGADUAN").sla_seconds == 20 * 60
    assert catalog.queue("NOPE") is None
    assert catalog.queue(catalog.default_queue).code == "INFORMASI_UMUM"

    template = catalog.template("window_reopen")
    assert template.content_sid.startswith("HX")
    assert template.content_variables(ticket="PDW-1") == {"1": "PDW-1"}
    assert catalog.template("nope") is None

    assert [o.code for o in catalog.offices_for_address("whatsapp:+6281180001500")] == ["JKT-PUSAT"]
    assert catalog.offices_for_address("whatsapp:+620000000") == []


@pytest.mark.parametrize(
    ("answer", "office"),
    [
        ("Kota Makassar", "MAKASSAR"),
        ("makassar", "MAKASSAR"),
        ("Kab. Gowa", "MAKASSAR"),
        ("  KABUPATEN   keerom ", "JAYAPURA"),
        ("Jakarta Pusat", "JKT-PUSAT"),
        ("Bandung", None),  # another number's office
        ("Surabaya", None),
    ],
)
def test_a_region_answer_picks_the_office_of_that_number(example, answer, office):
    found = example.office_for_region("whatsapp:+6281180001600", answer)

    assert (found.code if found else None) == office


def test_office_calendars(example):
    makassar = example.office("MAKASSAR")

    assert [(str(a), str(b)) for a, b in makassar.hours.intervals("fri")] == [
        ("08:00:00", "11:30:00"),
        ("13:00:00", "15:00:00"),
    ]
    assert str(makassar.zone) == "Asia/Makassar"
    calendar = makassar.holidays.calendar(2026)
    assert "2026-12-25" in calendar  # Christmas
    assert "2026-12-24" in calendar  # cuti bersama (the government category)
    assert [d.isoformat() for d in makassar.closure_dates()] == ["2026-12-28"]
