"""An office's weekly hours in one line (pandawa/hours/summary.py), as the {jam_buka} of a
canned response shows them to a citizen."""

from __future__ import annotations

from pandawa.hours.summary import weekly_summary

WEEKDAYS = {d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def test_working_days_are_joined_in_indonesian_form():
    assert weekly_summary(WEEKDAYS, "Asia/Jakarta", "id") == "Senin–Jumat pukul 08.00–15.00 WIB"
    assert weekly_summary(WEEKDAYS, "Asia/Jakarta", "en") == "Monday–Friday 08:00–15:00 WIB"


def test_different_days_and_a_lunch_break():
    hours = {
        **{d: [["08:00", "12:00"], ["13:00", "16:00"]] for d in ("mon", "tue", "wed", "thu")},
        "fri": [["08:00", "11:30"], ["13:30", "16:00"]],
        "sat": [["08:00", "12:00"]],
    }
    assert weekly_summary(hours, "Asia/Makassar", "id") == (
        "Senin–Kamis pukul 08.00–12.00 dan 13.00–16.00 WITA; "
        "Jumat pukul 08.00–11.30 dan 13.30–16.00 WITA; Sabtu pukul 08.00–12.00 WITA"
    )


def test_days_apart_are_not_joined():
    hours = {"mon": [["08:00", "15:00"]], "wed": [["08:00", "15:00"]]}
    assert weekly_summary(hours, "Asia/Jayapura", "id") == (
        "Senin pukul 08.00–15.00 WIT; Rabu pukul 08.00–15.00 WIT"
    )


def test_an_office_without_hours_is_closed():
    assert weekly_summary({}, "Asia/Jakarta", "id") == "tutup"
    assert weekly_summary(None, "Asia/Jakarta", "en") == "closed"
