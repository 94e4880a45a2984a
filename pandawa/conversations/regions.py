"""One WhatsApp number serving several offices: the citizen names their regency or province
(by number from the list, or typed, typos allowed) and the conversation remembers the office."""

from __future__ import annotations

from rapidfuzz import fuzz

from pandawa.catalog.offices import OfficeSpec
from pandawa.catalog.schema import Catalog

# a typed name at least this similar to a region's name counts ("makasar" → "Kota Makassar")
MATCH_THRESHOLD = 80
PREFIXES = {
    "kota",
    "kabupaten",
    "kab",
    "kotamadya",
    "kotamadia",
    "provinsi",
    "prov",
    "city",
    "regency",
    "of",
}


def region_choices(catalog: Catalog, address: str) -> list[tuple[str, OfficeSpec]]:
    """Every regency (or, without regencies, province) the offices of this number serve."""
    choices: list[tuple[str, OfficeSpec]] = []
    for office in catalog.offices_for_address(address):
        for region in office.regions:
            names = region.regencies or [region.province]
            choices.extend((name, office) for name in names)
    return choices


def needs_region(catalog: Catalog, address: str) -> bool:
    return len(catalog.offices_for_address(address)) > 1


def render_regions(catalog: Catalog, address: str) -> str:
    return "\n".join(
        f"{n}. {name}" for n, (name, _) in enumerate(region_choices(catalog, address), start=1)
    )


def match_region(catalog: Catalog, address: str, answer: str) -> OfficeSpec | None:
    choices = region_choices(catalog, address)
    text = answer.strip()
    if text.isdigit():
        index = int(text) - 1
        return choices[index][1] if 0 <= index < len(choices) else None
    exact = catalog.office_for_region(address, text)
    if exact is not None:
        return exact
    wanted = _core(text)
    if not wanted:
        return None
    scored = [(fuzz.ratio(wanted, _core(name)), office) for name, office in choices]
    best = max((score for score, _ in scored), default=0)
    if best < MATCH_THRESHOLD:
        return None
    # "jayapura" fits Kota and Kabupaten Jayapura alike: fine when both are one office
    offices = {office.code: office for score, office in scored if score >= best - 5}
    return next(iter(offices.values())) if len(offices) == 1 else None


def _core(name: str) -> str:
    """The name without its administrative prefix: "Kab. Gowa" → "gowa"."""
    words = name.lower().replace(".", " ").split()
    while words and words[0] in PREFIXES:
        words = words[1:]
    return " ".join(words)
