"""Property: any valid catalogue, written back to YAML (or stored as JSON), reads back equal.

This is what an operator relies on when a catalogue is exported, edited and loaded again, and
what every process relies on when it rebuilds the catalogue from the stored document.
"""

from __future__ import annotations

import json

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.catalog.loader import parse
from pandawa.catalog.offices import WEEKDAYS
from pandawa.catalog.schema import REQUIRED_TEXTS, TEXT_SPECS, Catalog

ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "UTC", "Europe/Amsterdam"]

# any printable text a human could type, in any script; braces are format syntax
words = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Co", "Cn"), blacklist_characters="{}"
    ),
    min_size=1,
    max_size=24,
).filter(lambda s: s.strip())


@st.composite
def localized(draw, fields: tuple[str, ...] = ()) -> dict:
    def one() -> str:
        used = draw(st.lists(st.sampled_from(fields), max_size=2)) if fields else []
        return draw(words) + "".join(f" {{{name}}}" for name in used)

    return {"id": one(), "en": one()}


@st.composite
def day_hours(draw) -> list[str]:
    minutes = draw(st.lists(st.integers(0, 23 * 60 + 59), max_size=4, unique=True))
    minutes = sorted(minutes)[: len(minutes) // 2 * 2]
    return [f"{_hm(a)}-{_hm(b)}" for a, b in zip(minutes[::2], minutes[1::2], strict=True)]


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def office(draw, code: str, number: int) -> dict:
    hours = {day: draw(day_hours()) for day in WEEKDAYS if draw(st.booleans())}
    if not any(hours.values()):
        hours["mon"] = ["08:00-15:00"]
    dates = draw(st.lists(st.dates(), max_size=3, unique=True))
    document = {
        "code": code,
        "name": draw(words),
        "whatsapp": f"whatsapp:+62811{number:07d}",
        "timezone": draw(st.sampled_from(ZONES)),
        "hours": hours,
        "closures": [{"date": d, "reason": draw(words)} for d in dates],
        "regions": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"province": words, "regencies": st.lists(words, max_size=2)}
                ),
                max_size=2,
            )
        ),
    }
    if draw(st.booleans()):
        categories = draw(st.lists(st.sampled_from(["public", "government"]), unique=True))
        document["holidays"] = {"country": "ID", "categories": categories}
    return document


@st.composite
def menu(draw, queues: list[str], depth: int = 1) -> list[dict]:
    keys = draw(st.lists(st.integers(0, 99), min_size=1, max_size=4, unique=True))
    items = []
    for key in keys:
        item: dict = {"key": str(key), "label": draw(localized())}
        kind = draw(
            st.sampled_from(["answer", "queue", "submenu"] if depth < 3 else ["answer", "queue"])
        )
        if kind == "answer":
            item["answer"] = draw(localized())
        elif kind == "queue":
            item["queue"] = draw(st.sampled_from(queues))
            fields = draw(
                st.lists(
                    st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), max_size=2, unique=True
                )
            )
            item["collect"] = [
                {
                    "field": name,
                    "type": draw(st.sampled_from(["nik", "text", "date", "photo"])),
                    "prompt": draw(localized()),
                }
                for name in fields
            ]
            if draw(st.booleans()):
                item["conditions"] = draw(localized())
        else:
            item["submenu"] = draw(menu(queues, depth + 1))
        items.append(item)
    return items


@st.composite
def catalogues(draw) -> Catalog:
    office_codes = draw(
        st.lists(
            st.from_regex(r"[A-Z0-9-]{2,8}", fullmatch=True), min_size=1, max_size=3, unique=True
        )
    )
    queue_codes = draw(
        st.lists(
            st.from_regex(r"[A-Z0-9_]{2,8}", fullmatch=True), min_size=1, max_size=3, unique=True
        )
    )
    optional = draw(
        st.lists(
            st.sampled_from(
                [
                    k
                    for k in TEXT_SPECS
                    if k not in REQUIRED_TEXTS and not TEXT_SPECS[k].may_be_empty
                ]
            ),
            unique=True,
            max_size=5,
        )
    )
    document = {
        "version": 1,
        "default_language": draw(st.sampled_from(["id", "en"])),
        "offices": [draw(office(code, n)) for n, code in enumerate(office_codes)],
        "queues": [
            {
                "code": code,
                "name": draw(localized()),
                "sla_minutes": draw(st.integers(1, 600)),
                "auto_assign": draw(st.booleans()),
            }
            for code in queue_codes
        ],
        "menu": draw(menu(queue_codes)),
        "faq": [
            {
                "question": draw(localized()),
                "answer": draw(localized()),
                "keywords": draw(st.lists(words, min_size=1, max_size=3)),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
        "texts": {
            key: draw(localized(TEXT_SPECS[key].fields)) for key in (*REQUIRED_TEXTS, *optional)
        },
    }
    if draw(st.booleans()):
        document["default_queue"] = draw(st.sampled_from(queue_codes))
    if draw(st.booleans()):
        document["templates"] = {
            "window_reopen": {
                "content_sid": "HX" + draw(st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
                "variables": ["ticket"],
                "preview": draw(localized(("ticket",))),
            }
        }
    return Catalog.model_validate(document)


@settings(max_examples=100)
@given(catalogues())
def test_a_catalogue_dumped_to_yaml_reads_back_identically(catalog):
    dumped = yaml.safe_dump(
        catalog.model_dump(mode="json"), allow_unicode=True, sort_keys=False, width=80
    )

    assert parse(dumped.encode("utf-8"), "dumped.yaml") == catalog


@settings(max_examples=50)
@given(catalogues())
def test_a_catalogue_stored_as_json_validates_back_identically(catalog):
    stored = json.loads(json.dumps(catalog.model_dump(mode="json")))

    assert Catalog.model_validate(stored) == catalog
