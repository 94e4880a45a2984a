"""An office's weekly hours in one line, as a government service writes them on a notice:
"Senin–Jumat pukul 08.00–15.00 WIB; Sabtu pukul 08.00–12.00 WIB" / "Monday–Friday
08:00–15:00 WIB; Saturday 08:00–12:00 WIB". Consecutive days with the same hours are joined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time

from pandawa.hours.calendar import parse_weekly_hours
from pandawa.hours.formatting import DAY_NAMES, format_clock, zone_abbreviation

CLOSED = {"id": "tutup", "en": "closed"}


def _span(opens: time, closes: time, language: str) -> str:
    return (
        f"{format_clock(opens.hour, opens.minute, language)}–"
        f"{format_clock(closes.hour, closes.minute, language)}"
    )


def weekly_summary(
    weekly_hours_json: Mapping[str, Iterable[Iterable[str]]] | None, zone: str, language: str
) -> str:
    """The week's regular hours (holidays and closures aside) in the office's zone."""
    lang = "en" if language == "en" else "id"
    weekly = parse_weekly_hours(weekly_hours_json or {})
    groups: list[tuple[int, int, tuple[tuple[time, time], ...]]] = []
    for day in range(7):
        intervals = weekly.get(day, ())
        if not intervals:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == intervals:
            groups[-1] = (groups[-1][0], day, intervals)
        else:
            groups.append((day, day, intervals))
    if not groups:
        return CLOSED[lang]
    names = DAY_NAMES[lang]
    word = "" if lang == "en" else "pukul "
    joiner = " and " if lang == "en" else " dan "
    abbreviation = zone_abbreviation(zone)
    parts = []
    for first, last, intervals in groups:
        days = names[first] if first == last else f"{names[first]}–{names[last]}"
        spans = joiner.join(_span(a, b, lang) for a, b in intervals)
        parts.append(f"{days} {word}{spans} {abbreviation}")
    return "; ".join(parts)
