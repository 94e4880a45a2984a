"""Reads that build office calendars from the catalogue, the `holidays` package and the
operator's rows (closures, overrides).

Holidays are static data: each (country, categories, year) is computed once per process.
Closures and overrides are read on every call, so a `pandawa closures add` or an "open now"
on one machine is seen by every other at once.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
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


def _overrides_query(office_ids: list[int]) -> sa.Select:
    # tuple order is creation order: a later override wins where two overlap
    return (
        sa.select(OfficeOverride)
        .where(
            OfficeOverride.office_id.in_(office_ids),
            OfficeOverride.ends_at > now() - OVERRIDE_LOOKBACK,
        )
        .order_by(OfficeOverride.created_at, OfficeOverride.id)
    )


def calendar_for(session: Session, office: Office, years: range | None = None) -> OfficeCalendar:
    """The office's calendar now: weekly hours, holidays of `years` (default: around now),
    catalogue closures, operator closures and recent overrides."""
    specs = _catalogue_specs()
    closures = list(session.scalars(_closures_query([office.id])))
    overrides = list(session.scalars(_overrides_query([office.id])))
    return _assemble(office, specs.get(office.code), closures, overrides, years)


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
