"""Reads that build office calendars from the catalogue, the `holidays` package and the
operator's rows (closures, overrides).

Holidays are static data: each (country, categories, year) is computed once per process.
Closures and overrides are read on every call, so a `pandawa closures add` or an "open now"
on one machine is seen by every other at once.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.catalog.offices import OfficeSpec
from pandawa.catalog.queries import CatalogMissing, active_catalog
from pandawa.core.clock import now
from pandawa.hours.calendar import OfficeCalendar, Override, build_calendar
from pandawa.hours.models import Office, OfficeClosure, OfficeOverride

log = logging.getLogger(__name__)

# used when the catalogue does not describe the office (e.g. it was loaded before the office)
DEFAULT_HOLIDAYS = ("ID", ("public", "government"))
# overrides that ended longer ago than this no longer matter to anyone asking about now
OVERRIDE_LOOKBACK = timedelta(days=1)


@functools.lru_cache(maxsize=256)
def _holidays_of_year(country: str, categories: tuple[str, ...], year: int) -> tuple:
    # Indonesian names where the package has them ("Cuti Bersama Hari Raya Idul Fitri")
    calendar = holidays_lib.country_holidays(
        country, years=year, categories=categories, language="id"
    )
    return tuple(sorted(calendar.items()))


def holiday_map(country: str, categories: Iterable[str], years: Iterable[int]) -> dict[date, str]:
    """{date: name} of the package's holidays (the package joins two on one date with "; ")."""
    result: dict[date, str] = {}
    for year in years:
        result.update(_holidays_of_year(country, tuple(sorted(categories)), year))
    return result


def _default_years(zone: str) -> range:
    # a year back (business time of old tickets) and two ahead (next opening looks 400 days)
    year = now().astimezone(ZoneInfo(zone)).year
    return range(year - 1, year + 3)


def _catalogue_specs() -> Mapping[str, OfficeSpec]:
    """The catalogue's office specs by code; empty when no usable catalogue is loaded."""
    try:
        catalog = active_catalog()
    except CatalogMissing:
        return {}
    return {spec.code: spec for spec in catalog.offices}


def _static_days(
    spec: OfficeSpec | None, years: range
) -> tuple[dict[date, str], list[tuple[date, str, str]]]:
    """Holidays and catalogue closures: ({date: name}, [(date, "closed", reason)]).

    Without a catalogue entry the office gets the default Indonesian calendar; an entry
    without `holidays` means the operator wants none."""
    if spec is None:
        country, categories = DEFAULT_HOLIDAYS
        return holiday_map(country, categories, years), []
    holidays = (
        holiday_map(spec.holidays.country, spec.holidays.categories, years)
        if spec.holidays is not None
        else {}
    )
    return holidays, [(c.date, "closed", c.reason) for c in spec.closures]


def _assemble(
    office: Office,
    spec: OfficeSpec | None,
    closures: list[OfficeClosure],
    overrides: list[OfficeOverride],
    years: range | None,
) -> OfficeCalendar:
    holidays, static_closures = _static_days(spec, years or _default_years(office.timezone))
    # the operator's rows come after the catalogue's closures: the operator has the last word
    operator = [(row.day, row.kind, row.reason) for row in closures]
    return build_calendar(
        office.weekly_hours,
        office.timezone,
        holidays,
        static_closures + operator,
        [Override(row.starts_at, row.ends_at, row.kind) for row in overrides],
    )


def _closures_query(office_ids: list[int]) -> sa.Select:
    return (
        sa.select(OfficeClosure)
        .where(OfficeClosure.office_id.in_(office_ids))
        .order_by(OfficeClosure.day, OfficeClosure.id)
    )


def _overrides_query(office_ids: list[int], *, queues: bool = False) -> sa.Select:
    """The office-wide overrides in force or recent (`queues`: the queue-level ones instead);
    an undone override is the record only, never the calendar."""
    # tuple order is creation order: a later override wins where two overlap
    return (
        sa.select(OfficeOverride)
        .where(
            OfficeOverride.office_id.in_(office_ids),
            OfficeOverride.ends_at > now() - OVERRIDE_LOOKBACK,
            OfficeOverride.revoked_at.is_(None),
            OfficeOverride.queue_id.is_not(None) if queues else OfficeOverride.queue_id.is_(None),
        )
        .order_by(OfficeOverride.created_at, OfficeOverride.id)
    )


def calendar_for(
    session: Session, office: Office, years: range | None = None, queue_id: int | None = None
) -> OfficeCalendar:
    """The office's calendar now: weekly hours, holidays of `years` (default: around now),
    catalogue closures, operator closures and recent overrides. With `queue_id`: the calendar
    of that queue's tickets in the office (the office's, plus the queue's own closures)."""
    specs = _catalogue_specs()
    closures = list(session.scalars(_closures_query([office.id])))
    overrides = list(session.scalars(_overrides_query([office.id])))
    calendar = _assemble(office, specs.get(office.code), closures, overrides, years)
    if queue_id is None:
        return calendar
    own = session.scalars(
        _overrides_query([office.id], queues=True).where(OfficeOverride.queue_id == queue_id)
    )
    return with_overrides(calendar, list(own))


def with_overrides(calendar: OfficeCalendar, rows: Iterable[OfficeOverride]) -> OfficeCalendar:
    """`calendar` with the override rows `rows` applied after its own (later ones win)."""
    extra = tuple(Override(row.starts_at, row.ends_at, row.kind) for row in rows)
    if not extra:
        return calendar
    return dataclasses.replace(calendar, overrides=calendar.overrides + extra)


def queue_calendars(
    session: Session, calendars: Mapping[int, OfficeCalendar]
) -> dict[tuple[int, int], OfficeCalendar]:
    """{(office id, queue id): calendar} for the queues with closures of their own in force or
    recent, built on the office calendars `calendars` (from `calendars_for_offices`) in one
    query; any other queue's tickets follow their office's calendar."""
    if not calendars:
        return {}
    rows: dict[tuple[int, int], list[OfficeOverride]] = defaultdict(list)
    for row in session.scalars(_overrides_query(list(calendars), queues=True)):
        rows[(row.office_id, row.queue_id)].append(row)  # type: ignore[index]
    return {key: with_overrides(calendars[key[0]], own) for key, own in rows.items()}


def calendars_for_offices(session: Session) -> dict[int, OfficeCalendar]:
    """Every active office's calendar by office id, in one query per table."""
    offices = list(
        session.scalars(sa.select(Office).where(Office.is_active.is_(True)).order_by(Office.id))
    )
    if not offices:
        return {}
    ids = [office.id for office in offices]
    closures: dict[int, list[OfficeClosure]] = defaultdict(list)
    for row in session.scalars(_closures_query(ids)):
        closures[row.office_id].append(row)
    overrides: dict[int, list[OfficeOverride]] = defaultdict(list)
    for row in session.scalars(_overrides_query(ids)):
        overrides[row.office_id].append(row)
    specs = _catalogue_specs()
    return {
        office.id: _assemble(
            office, specs.get(office.code), closures[office.id], overrides[office.id], None
        )
        for office in offices
    }


def office_by_code(session: Session, code: str) -> Office | None:
    return session.scalar(sa.select(Office).where(Office.code == code))


def operator_closures(session: Session, office: Office) -> list[OfficeClosure]:
    """The operator's closure rows of an office, by date."""
    return list(session.scalars(_closures_query([office.id])))


def catalogue_closures(office: Office) -> list[tuple[date, str]]:
    """The catalogue's extra closure days of an office: [(date, reason)]."""
    spec = _catalogue_specs().get(office.code)
    return [(c.date, c.reason) for c in spec.closures] if spec is not None else []


def office_holidays(office: Office, years: range) -> dict[date, str]:
    """The package holidays that apply to the office (catalogue's calendar, else default)."""
    return _static_days(_catalogue_specs().get(office.code), years)[0]


def overrides_in_force(
    session: Session, office_id: int, at: datetime, history: int = 10
) -> tuple[list[OfficeOverride], list[OfficeOverride]]:
    """The office's overrides (office-wide and per queue): those in force or ahead at `at`
    and not undone, soonest first; and the latest `history` others (ended or undone), newest
    first — the record the page shows."""
    current = list(
        session.scalars(
            sa.select(OfficeOverride)
            .where(
                OfficeOverride.office_id == office_id,
                OfficeOverride.ends_at > at,
                OfficeOverride.revoked_at.is_(None),
            )
            .order_by(OfficeOverride.starts_at, OfficeOverride.id)
        )
    )
    past = list(
        session.scalars(
            sa.select(OfficeOverride)
            .where(
                OfficeOverride.office_id == office_id,
                sa.or_(OfficeOverride.ends_at <= at, OfficeOverride.revoked_at.is_not(None)),
            )
            .order_by(OfficeOverride.created_at.desc(), OfficeOverride.id.desc())
            .limit(history)
        )
    )
    return current, past
