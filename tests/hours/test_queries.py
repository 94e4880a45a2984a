"""Calendars read from the database: package holidays and cuti bersama, catalogue closures,
operator closures and overrides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from pandawa.hours import operations
from pandawa.hours.models import OfficeOverride
from pandawa.hours.queries import calendar_for, calendars_for_offices, office_by_code
from pandawa.provisioning.operations import load_catalog
from tests.harness import EXAMPLE
from tests.hours.conftest import WIB, WIT, WITA, local


def test_a_holiday_monday_opens_on_tuesday(session, make_office):
    office = make_office()
    calendar = calendar_for(session, office)
    friday_evening = local(WIB, 2026, 5, 29, 16, 0)

    assert not calendar.is_open(local(WIB, 2026, 6, 1, 10, 0))  # Hari Lahir Pancasila
    assert calendar.closed_days[date(2026, 6, 1)] == "Hari Lahir Pancasila"
    assert calendar.next_opening(friday_evening) == local(WIB, 2026, 6, 2, 8, 0)
    # Friday 16:00 to Tuesday 08:30: only Tuesday's half hour is business time
    assert calendar.business_seconds(friday_evening, local(WIB, 2026, 6, 2, 8, 30)) == 1800


def test_cuti_bersama_around_idul_fitri_is_skipped(session, make_office):
    calendar = calendar_for(session, make_office())

    for day in (20, 23, 24):  # Fri, Mon, Tue: cuti bersama (government category)
        assert not calendar.is_open(local(WIB, 2026, 3, day, 10, 0)), day
        assert "Cuti Bersama" in calendar.closed_days[date(2026, 3, day)]
    # Tuesday 17 March after hours: Nyepi (18–19), Idul Fitri and its cuti bersama follow
    assert calendar.next_opening(local(WIB, 2026, 3, 17, 16, 0)) == local(WIB, 2026, 3, 25, 8, 0)


def test_the_catalogues_hours_closures_and_zones_apply(session, clock):
    load_catalog(session, EXAMPLE)
    makassar = office_by_code(session, "MAKASSAR")
    calendar = calendar_for(session, makassar)

    assert calendar.closed_days[date(2026, 12, 28)] == "Pemeliharaan sistem kantor cabang"
    assert calendar.next_opening(local(WITA, 2026, 12, 26, 10, 0)) == local(
        WITA, 2026, 12, 29, 8, 0
    )
    assert not calendar.is_open(local(WITA, 2026, 12, 4, 12, 0))  # Friday prayers
    jayapura = calendar_for(session, office_by_code(session, "JAYAPURA"))
    assert jayapura.next_opening(local(WIT, 2026, 12, 5, 10, 0)) == local(WIT, 2026, 12, 7, 8, 0)
    bandung = calendar_for(session, office_by_code(session, "BANDUNG"))
    assert bandung.is_open(local(WIB, 2026, 12, 5, 10, 0))  # Saturday mornings


def test_operator_closures_close_reopen_and_move_days(session, make_office):
    office = make_office()
    operations.add_closure(session, office, date(2026, 12, 3), "Rapat kerja tahunan")
    operations.remove_holiday(session, office, date(2026, 6, 1), "Sidang isbat")
    operations.move_holiday(session, office, date(2026, 3, 24), date(2026, 3, 27), "SKB")
    calendar = calendar_for(session, office)

    assert calendar.closed_days[date(2026, 12, 3)] == "Rapat kerja tahunan"
    assert calendar.next_opening(local(WIB, 2026, 12, 2, 15, 0)) == local(WIB, 2026, 12, 4, 8, 0)
    assert calendar.is_open(local(WIB, 2026, 6, 1, 8, 0))
    assert calendar.is_open(local(WIB, 2026, 3, 24, 8, 0))
    assert not calendar.is_open(local(WIB, 2026, 3, 27, 8, 0))
    assert calendar.next_opening(local(WIB, 2026, 3, 17, 16, 0)) == local(WIB, 2026, 3, 24, 8, 0)

    assert operations.delete_closure(session, office, date(2026, 12, 3))
    assert not operations.delete_closure(session, office, date(2026, 12, 3))
    assert calendar_for(session, office).is_open(local(WIB, 2026, 12, 3, 10, 0))


def test_an_operator_can_reopen_a_catalogue_closure(session, clock):
    load_catalog(session, EXAMPLE)
    makassar = office_by_code(session, "MAKASSAR")
    operations.remove_holiday(session, makassar, date(2026, 12, 28), "Pemeliharaan ditunda")

    assert calendar_for(session, makassar).is_open(local(WITA, 2026, 12, 28, 10, 0))


def test_overrides_that_ended_long_ago_are_not_read(session, make_office, clock):
    office = make_office()
    old = local(WIB, 2026, 11, 20, 10, 0)
    session.add(
        OfficeOverride(
            office_id=office.id,
            kind="open",
            starts_at=old,
            ends_at=old + timedelta(hours=2),
            reason="",
            created_at=old,
        )
    )
    session.flush()

    assert calendar_for(session, office).overrides == ()
    operations.override_now(session, office, "closed", clock.now())
    assert [o.kind for o in calendar_for(session, office).overrides] == ["closed"]


def test_all_offices_in_a_constant_number_of_queries(session, connection, make_office):
    first = make_office(timezone=WIB)
    operations.override_now(session, first, "closed", local(WIB, 2026, 12, 1, 10, 0))
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(connection, "before_cursor_execute", count)
    try:
        calendars_for_offices(session)
        with_one = len(statements)
        others = [make_office(timezone=zone) for zone in (WITA, WIT, WIB)]
        for office in others:
            operations.add_closure(session, office, date(2026, 12, 3), "Rapat")
            operations.override_now(session, office, "open", local(WIB, 2026, 12, 1, 7, 0))
        statements.clear()
        calendars = calendars_for_offices(session)
        with_four = len(statements)
    finally:
        event.remove(connection, "before_cursor_execute", count)

    assert with_four == with_one <= 5
    assert set(calendars) == {first.id, *(o.id for o in others)}
    assert not calendars[first.id].is_open(local(WIB, 2026, 12, 1, 10, 0))
    assert calendars[others[1].id].zone.key == WIT
    assert not calendars[others[0].id].is_open(local(WITA, 2026, 12, 3, 10, 0))


def test_inactive_offices_have_no_calendar_in_the_batch(session, make_office):
    office = make_office()
    office.is_active = False
    session.flush()

    assert office.id not in calendars_for_offices(session)


@pytest.mark.parametrize("kind", ["opened", ""])
def test_unknown_closure_kinds_are_refused(session, make_office, kind):
    with pytest.raises(ValueError, match="closure kind"):
        operations.add_closure(session, make_office(), date(2026, 12, 3), "x", kind=kind)
