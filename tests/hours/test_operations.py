"""Open early, close for the day, closures: each takes effect at once and is kept as a row."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa

from pandawa.hours import operations
from pandawa.hours.models import OfficeClosure, OfficeOverride
from pandawa.hours.queries import calendar_for
from tests.hours.conftest import WIB, WIT, local


def overrides(session, office) -> list[tuple[str, object, object]]:
    rows = session.scalars(
        sa.select(OfficeOverride)
        .where(OfficeOverride.office_id == office.id)
        .order_by(OfficeOverride.id)
    )
    return [(r.kind, r.starts_at, r.ends_at) for r in rows]


def test_opening_early_lasts_through_the_regular_hours(session, make_office, make_user):
    office = make_office()
    supervisor = make_user(role="supervisor")
    at = local(WIB, 2026, 12, 1, 7, 0)  # Tuesday, an hour before opening
    assert not calendar_for(session, office).is_open(at)

    row = operations.override_now(
        session, office, "open", at, actor_id=supervisor.id, reason="Antrean panjang"
    )

    calendar = calendar_for(session, office)
    assert calendar.is_open(at)
    assert calendar.next_closing(at) == local(WIB, 2026, 12, 1, 15, 0)
    assert overrides(session, office) == [("open", at, local(WIB, 2026, 12, 1, 15, 0))]
    assert (row.actor_id, row.reason) == (supervisor.id, "Antrean panjang")


def test_opening_on_a_weekend_or_in_the_evening_lasts_until_midnight(session, make_office):
    office = make_office(timezone=WIT)
    saturday = local(WIT, 2026, 12, 5, 10, 0)
    evening = local(WIT, 2026, 12, 1, 17, 0)

    operations.override_now(session, office, "open", saturday)
    operations.override_now(session, office, "open", evening)

    calendar = calendar_for(session, office)
    assert calendar.is_open(saturday) and calendar.is_open(evening)
    assert calendar.next_closing(saturday) == local(WIT, 2026, 12, 6, 0, 0)
    assert calendar.next_closing(evening) == local(WIT, 2026, 12, 2, 0, 0)


def test_opening_on_a_holiday_lasts_until_midnight(session, make_office):
    office = make_office()
    christmas = local(WIB, 2026, 12, 25, 9, 0)  # Friday, Hari Raya Natal

    operations.override_now(session, office, "open", christmas)

    assert calendar_for(session, office).next_closing(christmas) == local(WIB, 2026, 12, 26, 0, 0)


def test_closing_for_the_day_and_opening_again(session, make_office, clock):
    office = make_office()
    at = clock.now()  # Tuesday 10:00 WIB

    operations.override_now(session, office, "closed", at, reason="Listrik padam")
    calendar = calendar_for(session, office)
    assert not calendar.is_open(at)
    assert calendar.next_opening(at) == local(WIB, 2026, 12, 2, 8, 0)

    later = local(WIB, 2026, 12, 1, 11, 0)
    operations.override_now(session, office, "open", later, reason="Listrik menyala")
    calendar = calendar_for(session, office)
    assert calendar.is_open(later)
    assert calendar.next_opening(at) == later
    assert [kind for kind, *_ in overrides(session, office)] == ["closed", "open"]


def test_a_second_change_of_the_same_day_replaces_the_first(session, make_office):
    office = make_office()
    operations.add_closure(session, office, date(2026, 12, 3), "Rapat")
    operations.remove_holiday(session, office, date(2026, 12, 3), "Rapat batal")

    rows = session.scalars(sa.select(OfficeClosure).where(OfficeClosure.office_id == office.id))
    assert [(r.day, r.kind, r.reason) for r in rows] == [(date(2026, 12, 3), "open", "Rapat batal")]


def test_changes_are_logged_without_personal_data(session, make_office, caplog):
    office = make_office("JKT-UJI")
    with caplog.at_level(logging.INFO, logger="pandawa.hours.operations"):
        operations.override_now(
            session, office, "closed", local(WIB, 2026, 12, 1, 10, 0), reason="Rahasia"
        )

    (record,) = caplog.records
    assert "JKT-UJI" in record.getMessage() and "closed" in record.getMessage()
    assert "Rahasia" not in record.getMessage()
