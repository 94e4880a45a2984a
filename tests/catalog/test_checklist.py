"""A service's checklist in the catalogue (issue 17, item 10): the shipped one, and the errors
an operator gets for an unknown kind, a missing language, a key of the other kind, a checklist
on an option that hands over to nobody — each naming the file, line, key and the fix."""

from __future__ import annotations

import pytest

from pandawa.catalog.loader import CatalogError, load_file
from pandawa.catalog.schema import SHIPPED_CATALOG
from tests.catalog.editing import edit, line_of

FASKES_CHECK = '      - kind: check\n        question: {id: "Apakah Bapak/Ibu sudah terdaftar'


def problems(write_catalog, text: str) -> str:
    path = write_catalog(text)
    with pytest.raises(CatalogError) as caught:
        load_file(path)
    return str(caught.value)


def test_the_shipped_services_carry_real_checklists():
    catalog = load_file(SHIPPED_CATALOG)

    data = catalog.find_menu_item(("2", "3"))
    assert [(e.kind, e.is_required) for e in data.checklist] == [
        ("check", True),
        ("document", True),
        ("document", True),
        ("document", False),
    ]
    assert "Dukcapil" in data.checklist[0].question.id
    assert data.checklist[0].on_fail == "stop"
    assert [e.label.id for e in data.checklist[1:3]] == [
        "KTP-el peserta",
        "Kartu Keluarga (KK) terbaru",
    ]
    faskes = catalog.find_menu_item(("3",)).checklist
    assert faskes[0].question.id.startswith(
        "Apakah Bapak/Ibu sudah terdaftar paling sedikit 3 bulan"
    )
    assert (faskes[0].qualifying_answer, faskes[0].on_fail) == ("ya", "continue")


def test_an_unknown_kind_is_refused_with_the_kinds_there_are(default_text, write_catalog):
    text = edit(default_text, FASKES_CHECK, FASKES_CHECK.replace("kind: check", "kind: chek"))

    message = problems(write_catalog, text)

    line = line_of(text, "kind: chek")
    assert f"catalog.yaml:{line}: menu[2].checklist[0].kind: 'chek' is not a checklist kind" in (
        message
    )
    assert "did you mean check? use document (a photo or PDF the citizen sends) or check" in message


def test_a_missing_language_is_named(default_text, write_catalog):
    old = "{id: KTP-el peserta, en: the member's e-KTP (electronic ID card)}"
    text = edit(default_text, old, "{id: KTP-el peserta}")

    message = problems(write_catalog, text)

    assert "menu[1].submenu[2].checklist[1].label.en: required key 'en' is missing" in message
    assert "fix: add the English text (en: ...)" in message


def test_a_check_without_its_keys_says_what_a_check_needs(default_text, write_catalog):
    text = edit(default_text, "        on_fail: continue\n", "")

    message = problems(write_catalog, text)

    assert "menu[2].checklist[0].on_fail: a check needs on_fail" in message
    assert "qualifying_answer: ya or tidak" in message


def test_a_key_of_the_other_kind_is_refused(default_text, write_catalog):
    text = edit(
        default_text,
        "        on_fail: continue\n",
        "        on_fail: continue\n        required: false\n",
    )

    message = problems(write_catalog, text)

    assert "menu[2].checklist[0].required: required does not belong to a check" in message


def test_a_yaml_yes_is_read_as_ya(default_text, write_catalog):
    text = edit(
        default_text,
        "        qualifying_answer: ya\n        explanation:\n          id: Faskes",
        "        qualifying_answer: yes\n        explanation:\n          id: Faskes",
    )

    catalog = load_file(write_catalog(text))

    assert catalog.find_menu_item(("3",)).checklist[0].qualifying_answer == "ya"


def test_a_checklist_needs_a_handoff(default_text, write_catalog):
    answer = (
        '  - key: "1"\n    label: {id: Tentang layanan Pandawa, en: About the Pandawa service}\n'
    )
    checklist = "    checklist:\n      - kind: document\n        label: {id: KTP-el, en: e-KTP}\n"
    text = edit(default_text, answer, answer + checklist)

    message = problems(write_catalog, text)

    assert "menu[0].checklist: checklist is only used before a handoff" in message
    assert "fix: add queue: CODE to this option, or remove it" in message
