"""Office-local times written as an Indonesian government service writes them.

"Senin, 30 November 2026 pukul 08.00 WIB" (Bahasa Indonesia: day and month names, 24-hour
time with a dot) and "Monday, 30 November 2026 at 08:00 WIB" (English). These are the
formats of dates and times only; the sentences around them come from the catalogue.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pandawa.core.clock import now

DAY_NAMES = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTH_NAMES = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
# Indonesia's three legal time zones (and their IANA aliases); other zones use tzname()
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}


def _language(language: str | None) -> str:
    return "en" if language == "en" else "id"


def zone_abbreviation(zone: str, at: datetime | None = None) -> str:
    """WIB, WITA or WIT for Indonesia's zones; otherwise the zone's own abbreviation at `at`
    (now when not given), e.g. "+08" or "CET"."""
    if zone in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[zone]
    if at is None:
        at = now()
    return ZoneInfo(zone).tzname(at.astimezone(ZoneInfo(zone))) or zone


def format_date(day: date, language: str | None) -> str:
    """ "Senin, 30 November 2026" / "Monday, 30 November 2026"."""
    lang = _language(language)
    return (
        f"{DAY_NAMES[lang][day.weekday()]}, {day.day} {MONTH_NAMES[lang][day.month - 1]} {day.year}"
    )


def format_clock(hour: int, minute: int, language: str | None) -> str:
    """ "08.00" in Bahasa Indonesia, "08:00" in English."""
    separator = ":" if _language(language) == "en" else "."
    return f"{hour:02d}{separator}{minute:02d}"


def format_local(at: datetime, zone: str, language: str | None) -> str:
    """ "Senin, 30 November 2026 pukul 08.00 WIB" / "Monday, 30 November 2026 at 08:00 WIB"."""
    if at.tzinfo is None:
        raise ValueError("format_local needs an aware datetime")
    local = at.astimezone(ZoneInfo(zone))
    lang = _language(language)
    word = "at" if lang == "en" else "pukul"
    return (
        f"{format_date(local.date(), lang)} {word} "
        f"{format_clock(local.hour, local.minute, lang)} {zone_abbreviation(zone, at)}"
    )


def format_duration_minutes(minutes: float, language: str | None) -> str:
    """An estimate, never a promise: "sekitar 25 menit", "sekitar 1 jam 30 menit" /
    "about 25 minutes", "about 1 hour 30 minutes". Rounded to whole minutes, at least 1."""
    total = max(1, round(minutes))
    hours, rest = divmod(total, 60)
    if _language(language) == "en":
        parts = []
        if hours:
            parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
        if rest:
            parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
        return "about " + " ".join(parts)
    parts = []
    if hours:
        parts.append(f"{hours} jam")
    if rest:
        parts.append(f"{rest} menit")
    return "sekitar " + " ".join(parts)
