"""Loading catalogue files: the shipped ones pass; broken ones fail with file, line, key, fix."""

from __future__ import annotations

import pytest

from pandawa.catalog.loader import CatalogError, load_file
from pandawa.catalog.schema import REQUIRED_TEXTS, SHIPPED_CATALOG, TEXT_SPECS, Catalog
from tests.catalog.editing import edit, line_of
from tests.harness import EXAMPLE


def test_the_shipped_default_loads():
    catalog = load_file(SHIPPED_CATALOG)

    assert [o.code for o in catalog.offices] == ["JKT-PUSAT"]
    office = catalog.offices[0]
    assert office.timezone == "Asia/Jakarta"
    assert office.hours.document()["mon"] == [["08:00", "15:00"]]
    assert office.hours.document()["sat"] == []
    assert [q.code for q in catalog.queues] == [
        "KEPESERTAAN",
        "PERUBAHAN_FASKES",
        "IURAN_TAGIHAN",
        "PENGADUAN",
        "INFORMASI_UMUM",
    ]
    assert len(catalog.faq) >= 8
    kinds = {item.kind for _, item in catalog.iter_menu()}
    assert kinds == {"answer", "handoff", "submenu"}
    handoffs = [item for _, item in catalog.iter_menu() if item.queue]
    assert any(step.type == "nik" for item in handoffs for step in item.collect)


def test_the_shipped_default_writes_every_text_so_fallbacks_always_exist():
    catalog = load_file(SHIPPED_CATALOG)

    assert set(catalog.texts) == set(TEXT_SPECS)


def test_the_multi_office_example_loads():
    catalog = load_file(EXAMPLE)

    shared = catalog.offices_for_address("whatsapp:+6281180001600")
    assert {o.timezone for o in shared} == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    own = catalog.offices_for_address("whatsapp:+6281180001700")
    assert [o.code for o in own] == ["BANDUNG"]
    assert all(o.regions for o in catalog.offices)
    # the example writes only the required texts; the rest come from the shipped default
    assert set(catalog.texts) == set(REQUIRED_TEXTS)


def test_an_unquoted_menu_number_is_read_as_the_key(default_text, write_catalog):
    text = edit(default_text, 'menu:\n  - key: "1"', "menu:\n  - key: 1")

    catalog = load_file(write_catalog(text))

    assert catalog.find_menu_item(("1",)) is not None


def test_the_stored_document_validates_back_to_the_same_catalogue():
    catalog = load_file(SHIPPED_CATALOG)

    assert Catalog.model_validate(catalog.model_dump(mode="json")) == catalog


# Each case edits the shipped default: (old, new, the line the error must point at,
# key path, what the message says, what the fix says).
BROKEN = {
    "bad time zone": (
        "timezone: Asia/Jakarta",
        "timezone: Asia/Jakrta",
        "Asia/Jakrta",
        "offices[0].timezone",
        "'Asia/Jakrta' is not an IANA time zone",
        "Asia/Jakarta",
    ),
    "unknown queue in menu": (
        "queue: PERUBAHAN_FASKES",
        "queue: PERUBAHAN_FASKE",
        "queue: PERUBAHAN_FASKE",
        "menu[2].queue",
        "queue 'PERUBAHAN_FASKE' is not defined",
        "did you mean PERUBAHAN_FASKES? use one of the queue codes: KEPESERTAAN,",
    ),
    "duplicate menu key": (
        '  - key: "4"\n    label: {id: Iuran',
        '  - key: "3"  # same as above\n    label: {id: Iuran',
        "# same as above",
        "menu[3].key",
        "key '3' is used twice at this level (also menu[2])",
        "its own number",
    ),
    "duplicate key in a submenu": (
        '      - key: "2"\n        label: {id: Cara',
        '      - key: "1"  # again\n        label: {id: Cara',
        "# again",
        "menu[3].submenu[1].key",
        "key '1' is used twice at this level",
        "its own number",
    ),
    "interval that ends before it starts": (
        'fri: ["08:00-15:00"]',
        'fri: ["15:00-08:00"]',
        "fri:",
        "offices[0].hours.fri[0]",
        "'15:00-08:00' ends before it starts",
        "opening time first",
    ),
    "overlapping intervals": (
        'fri: ["08:00-15:00"]',
        'fri: ["08:00-12:00", "11:00-15:00"]',
        "fri:",
        "offices[0].hours.fri[1]",
        "overlaps",
        "time order without overlaps",
    ),
    "malformed interval": (
        'wed: ["08:00-15:00"]',
        'wed: ["8-15"]',
        "wed:",
        "offices[0].hours.wed[0]",
        "'8-15' is not an opening interval",
        '"HH:MM-HH:MM"',
    ),
    "missing English text": (
        "    en: Ticket *{ticket}* has been resolved by our officer. Thank you for using the "
        "BPJS Kesehatan Pandawa service.\n",
        "",
        "  ticket_resolved:",
        "texts.ticket_resolved.en",
        "is missing",
        "add the English text",
    ),
    "unknown key": (
        "sla_minutes: 20",
        "sla_minuts: 20",
        "sla_minuts",
        "queues[3].sla_minuts",
        "unknown key 'sla_minuts'",
        "did you mean sla_minutes?",
    ),
    "misspelt weekday": (
        'thu: ["08:00-15:00"]',
        'thur: ["08:00-15:00"]',
        "thur:",
        "offices[0].hours.thur",
        "unknown key 'thur'",
        "did you mean thu?",
    ),
    "misspelt text name": (
        "  slow_down:\n",
        "  slow_dwn:\n",
        "slow_dwn:",
        "texts.slow_dwn",
        "unknown text 'slow_dwn'",
        "did you mean slow_down?",
    ),
    "text using a field it does not receive": (
        "id: Tiket *{ticket}* telah diselesaikan",
        "id: Tiket *{tiket}* telah diselesaikan",
        "{tiket}",
        "texts.ticket_resolved.id",
        "uses {tiket}, which this text does not receive",
        "did you mean ticket? use only {ticket}",
    ),
    "attribute access in a text": (
        "id: Tiket *{ticket}* telah diselesaikan",
        "id: Tiket *{ticket.__class__}* telah",
        "{ticket.__class__}",
        "texts.ticket_resolved.id",
        "is not a field this text can use",
        "literal braces",
    ),
    "yes/no read as a boolean": (
        "status_resolved: {id: telah selesai, en: resolved}",
        "status_resolved: {id: telah selesai, en: no}",
        "status_resolved",
        "texts.status_resolved.en",
        "False is not text",
        "double quotes",
    ),
    "version from the future": (
        "version: 1",
        "version: 2",
        "version: 2",
        "version",
        "version 2 is not supported",
        "version: 1",
    ),
    "option with an answer and a queue": (
        "    label: {id: Bicara dengan petugas, en: Talk to an officer}\n",
        "    label: {id: Bicara dengan petugas, en: Talk to an officer}\n"
        "    answer: {id: Silakan, en: Go ahead}\n",
        'key: "6"',
        "menu[5]",
        "option 6 has answer and queue",
        "exactly one of answer, queue or submenu",
    ),
    "WhatsApp number without the prefix": (
        '"whatsapp:+6281180001500"',
        '"+6281180001500"',
        "+6281180001500",
        "offices[0].whatsapp",
        "is not a valid WhatsApp sender id",
        "whatsapp:+62",
    ),
    "unknown holiday category": (
        "categories: [public, government]",
        "categories: [public, cuti]",
        "categories:",
        "offices[0].holidays.categories[1]",
        "'cuti' is not a holiday category of ID",
        "government",
    ),
    "duplicate YAML key": (
        '      tue: ["08:00-15:00"]\n',
        '      tue: ["08:00-15:00"]\n      tue: ["09:00-12:00"]\n',
        '"09:00-12:00"',
        "offices[0].hours.tue",
        "the key appears twice",
        "keep one of them",
    ),
    "YAML syntax error": (
        "id: Selamat datang di layanan",
        "id: Selamat datang: di layanan",
        "Selamat datang:",
        "",
        "YAML syntax error",
        "double quotes",
    ),
}


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_catalogue_names_file_line_key_and_fix(case, default_text, write_catalog):
    old, new, marker, key, what, fix = case
    text = edit(default_text, old, new)
    path = write_catalog(text)

    with pytest.raises(CatalogError) as caught:
        load_file(path)

    expected_start = f"{path}:{line_of(text, marker)}: " + (f"{key}: " if key else "")
    lines = [line for line in str(caught.value).splitlines() if line.startswith(expected_start)]
    assert lines, f"no problem starts with {expected_start!r}:\n{caught.value}"
    assert any(
        what in line and "; fix: " in line and fix in line.split("; fix: ", 1)[1] for line in lines
    ), str(caught.value)


def test_several_problems_are_reported_together_in_line_order(default_text, write_catalog):
    text = edit(default_text, "timezone: Asia/Jakarta", "timezone: Mars/Olympus")
    text = edit(text, "sla_minutes: 60", "sla_minutes: sixty")

    with pytest.raises(CatalogError) as caught:
        load_file(write_catalog(text))

    problems = caught.value.problems
    assert [p.path for p in problems] == ["offices[0].timezone", "queues[4].sla_minutes"]
    assert problems[0].line < problems[1].line
    assert "'sixty' is not a whole number" in str(caught.value)


def test_a_shared_number_needs_regions(write_catalog):
    text = EXAMPLE.read_text(encoding="utf-8")
    text = edit(
        text,
        "      - province: Papua\n        regencies: [Kota Jayapura, Kabupaten "
        "Jayapura, Kabupaten Keerom]\n",
        "",
    )
    text = edit(text, "    regions:\n\n  - code: BANDUNG", "\n  - code: BANDUNG")

    with pytest.raises(CatalogError) as caught:
        load_file(write_catalog(text))

    assert "offices[2].regions: JAYAPURA shares its WhatsApp number" in str(caught.value)


def test_a_regency_served_twice_on_one_number_is_refused(write_catalog):
    text = EXAMPLE.read_text(encoding="utf-8")
    text = edit(
        text,
        "[Kota Jayapura, Kabupaten Jayapura, Kabupaten Keerom]",
        "[Kota Jayapura, Kota Makassar]",
    )

    with pytest.raises(CatalogError) as caught:
        load_file(write_catalog(text))

    assert "region 'makassar' is also served by MAKASSAR" in str(caught.value)


def test_a_missing_required_text_names_it(default_text, write_catalog):
    text = edit(default_text, "  unknown_choice:\n", "  ask_detail_invalid_old:\n")

    with pytest.raises(CatalogError) as caught:
        load_file(write_catalog(text))

    message = str(caught.value)
    assert "texts: the text unknown_choice is missing; fix: add texts.unknown_choice" in message


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a list\n- not a mapping\n", "the top level is not a mapping"),
        (b"version: 1\nname: \xff\xfe\n", "not UTF-8"),
    ],
    ids=["empty", "comment only", "list", "latin-1 bytes"],
)
def test_files_that_are_no_catalogue_at_all(content, what, write_catalog):
    path = write_catalog(content)

    with pytest.raises(CatalogError) as caught:
        load_file(path)

    assert str(caught.value).startswith(str(path))
    assert what in str(caught.value)
    assert "; fix: " in str(caught.value)


def test_a_missing_file(tmp_path):
    with pytest.raises(CatalogError, match=r"nope\.yaml: no such file; fix: check the path"):
        load_file(tmp_path / "nope.yaml")
