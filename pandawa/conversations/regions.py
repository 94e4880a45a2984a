"""One WhatsApp number serving several offices: the citizen names their regency or province
(by number from the list, or typed, typos allowed) and the conversation remembers the office."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from pandawa.catalog.schema import Catalog, OfficeSpec

# a typed name at least this similar to a region's name counts ("makasar" → "Kota Makassar")
MATCH_THRESHOLD = 85


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
    names = [name.lower() for name, _ in choices]
    found = process.extractOne(
        text.lower(), names, scorer=fuzz.WRatio, score_cutoff=MATCH_THRESHOLD
    )
    return choices[found[2]][1] if found else None
