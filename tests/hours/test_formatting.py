"""Dates, times and estimates as the citizen reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pandawa.hours.formatting import format_duration_minutes, format_local, zone_abbreviation
from tests.hours.conftest import WIB, local


@pytest.mark.parametrize(
    ("at", "language", "text"),
    [
        (local(WIB, 2026, 11, 30, 8, 0), "id", "Senin, 30 November 2026 pukul 08.00 WIB"),
        (local(WIB, 2026, 11, 30, 8, 0), "en", "Monday, 30 November 2026 at 08:00 WIB"),
        (local(WIB, 2026, 8, 7, 13, 5), "id", "Jumat, 7 Agustus 2026 pukul 13.05 WIB"),
        (local(WIB, 2027, 1, 3, 9, 30), "id", "Minggu, 3 Januari 2027 pukul 09.30 WIB"),
        (local(WIB, 2026, 5, 20, 14, 0), "id", "Rabu, 20 Mei 2026 pukul 14.00 WIB"),
    ],
)
def test_format_local(at, language, text):
    assert format_local(at, WIB, language) == text


def test_the_instant_is_shown_in_the_offices_zone_whatever_zone_it_comes_in():
    at = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Monday 08:00 in Jayapura

    assert format_local(at, "Asia/Jayapura", "id") == "Senin, 30 November 2026 pukul 08.00 WIT"
    assert format_local(at, "Asia/Makassar", "id") == "Senin, 30 November 2026 pukul 07.00 WITA"
    assert format_local(at, "Asia/Pontianak", "en") == "Monday, 30 November 2026 at 06:00 WIB"


def test_other_zones_use_their_own_abbreviation():
    summer = datetime(2026, 7, 1, tzinfo=UTC)
    assert zone_abbreviation("Europe/Amsterdam", summer) == "CEST"
    assert zone_abbreviation("Asia/Singapore", summer) == "+08"
    assert zone_abbreviation("Asia/Makassar") == "WITA"


@pytest.mark.parametrize(
    ("minutes", "language", "text"),
    [
        (25, "id", "sekitar 25 menit"),
        (25, "en", "about 25 minutes"),
        (90, "id", "sekitar 1 jam 30 menit"),
        (90, "en", "about 1 hour 30 minutes"),
        (120, "id", "sekitar 2 jam"),
        (60, "en", "about 1 hour"),
        (1, "en", "about 1 minute"),
        (0.2, "id", "sekitar 1 menit"),
        (24.6, "id", "sekitar 25 menit"),
    ],
)
def test_format_duration_minutes(minutes, language, text):
    assert format_duration_minutes(minutes, language) == text
