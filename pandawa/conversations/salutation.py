""" "Selamat pagi/siang/sore/malam" by the office's local time, as Indonesians use them.

pagi from 04.00 (around subuh) until 10.59, siang 11.00–14.59 (the midday heat, until asar),
sore 15.00–17.59 (until maghrib), malam 18.00–03.59. The office's zone decides (WIB, WITA or
WIT), never the server's: a citizen in Jayapura at 19.00 WIT is greeted "Selamat malam" while
Jakarta is still at 17.00.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

PARTS = ("pagi", "siang", "sore", "malam")
# the first minute of each part of the day, in local time
_STARTS = ((time(4), "pagi"), (time(11), "siang"), (time(15), "sore"), (time(18), "malam"))


def part_of_day(local: time) -> str:
    """pagi, siang, sore or malam for a local wall-clock time."""
    part = "malam"  # 00.00–03.59
    for start, name in _STARTS:
        if local >= start:
            part = name
    return part


def salutation_key(at: datetime, zone: str) -> str:
    """The catalogue text for the greeting's first words at instant `at` in the office's zone."""
    if at.tzinfo is None:
        raise ValueError("salutation_key needs an aware datetime")
    return f"salutation_{part_of_day(at.astimezone(ZoneInfo(zone)).time())}"
