"""The variables of a canned response: checked when a supervisor saves, filled when an agent
inserts the answer. Pure functions: no database, no request.

A variable is a known name in braces (`{nama}`); any other brace is a mistake the editor
reports, so a typo never reaches a citizen as "{nma}".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

VARIABLES = ("nama", "nomor_tiket", "kantor", "jam_buka")
_TOKEN = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class VariableError:
    """One mistake in a text, described for the editor ("Indonesian / English")."""

    message: str


def _known() -> str:
    return ", ".join("{" + name + "}" for name in VARIABLES)


def check(text: str) -> list[VariableError]:
    """Every mistake in `text`: unknown variables (each named once) and stray braces."""
    errors: list[VariableError] = []
    unknown: list[str] = []
    for match in _TOKEN.finditer(text):
        name = match.group(1)
        if name not in VARIABLES and name not in unknown:
            unknown.append(name)
    for name in unknown:
        errors.append(
            VariableError(
                f"Variabel {{{name}}} tidak dikenal; yang dapat dipakai: {_known()}. / "
                f"Unknown variable {{{name}}}; the variables are: {_known()}."
            )
        )
    rest = _TOKEN.sub("", text)
    if "{" in rest or "}" in rest:
        position = _first_stray(text)
        errors.append(
            VariableError(
                f"Kurung kurawal tidak berpasangan (karakter ke-{position}): tulis variabel "
                f"seperti {{nama}}. / Unmatched brace (character {position}): write variables "
                f"like {{nama}}."
            )
        )
    return errors


def _first_stray(text: str) -> int:
    """1-based position of the first brace that is not part of a `{...}` pair."""
    paired: set[int] = set()
    for match in _TOKEN.finditer(text):
        paired.update((match.start(), match.end() - 1))
    for index, char in enumerate(text):
        if char in "{}" and index not in paired:
            return index + 1
    return 0


def used(text: str) -> list[str]:
    """The known variables `text` uses, in order of first use."""
    seen: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.group(1) in VARIABLES and match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known variable replaced by its value, in one pass (a value holding
    braces is never read as a variable). An empty name leaves no double space behind."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return values.get(name, "") if name in VARIABLES else match.group(0)

    filled = _TOKEN.sub(replace, text)
    if any(not values.get(name) for name in VARIABLES):
        filled = re.sub(r"[ \t]{2,}", " ", filled)
        filled = re.sub(r"[ \t]+([,.!?;:])", r"\1", filled)
    return filled
