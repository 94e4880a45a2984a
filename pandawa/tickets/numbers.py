"""Ticket numbers citizens can read aloud and type back: `PDW-261201-7KQ2MX`.

The date is the office's local date (what the citizen sees on their calendar); the suffix is
random from an alphabet without look-alikes (no 0/O, 1/I), so a number quoted over the phone
or retyped from a screenshot comes back right.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

PREFIX = "PDW"
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SUFFIX_LENGTH = 6


def new_ticket_number(at: datetime, timezone: str) -> str:
    """A fresh number for a ticket created at `at` (aware) in an office of `timezone`."""
    local = at.astimezone(ZoneInfo(timezone))
    suffix = "".join(secrets.choice(ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"{PREFIX}-{local:%y%m%d}-{suffix}"


def normalise_number(value: str) -> str:
    """What a person typed (`pdw-261201-7kq2mx `) as it is stored."""
    return value.strip().upper()
