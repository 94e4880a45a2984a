"""An office in the catalogue: its sender number, opening hours, holidays, closures and the
regions it serves (when several offices share one number, the citizen names their region)."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from pydantic import AfterValidator, Field, model_validator

from pandawa.catalog.checks import Problems, check_holidays, not_blank, repeats
from pandawa.catalog.fields import (
    Interval,
    Name,
    NonBlank,
    OfficeCode,
    Strict,
    TimeZoneName,
    WhatsAppAddress,
)

# a supervisory region: free text matched exactly (e.g. "DKI-JAKARTA", "Kedeputian Wilayah III")
RegionCode = Annotated[str, Field(max_length=64), AfterValidator(not_blank)]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WeeklyHours(Strict):
    mon: list[Interval] = []
    tue: list[Interval] = []
    wed: list[Interval] = []
    thu: list[Interval] = []
    fri: list[Interval] = []
    sat: list[Interval] = []
    sun: list[Interval] = []

    @model_validator(mode="after")
    def _ascending(self) -> WeeklyHours:
        problems = Problems()
        for day in WEEKDAYS:
            intervals = getattr(self, day)
            for index in range(1, len(intervals)):
                if intervals[index][:5] < intervals[index - 1][6:]:
                    problems.add(
                        (day, index),
                        f"{intervals[index]!r} overlaps or comes before {intervals[index - 1]!r}",
                        "list the intervals of a day in time order without overlaps",
                        intervals[index],
                    )
        problems.raise_any("WeeklyHours")
        return self

    def intervals(self, day: str) -> list[tuple[time, time]]:
        return [(time.fromisoformat(i[:5]), time.fromisoformat(i[6:])) for i in getattr(self, day)]

    def document(self) -> dict[str, list[list[str]]]:
        """The `Office.weekly_hours` JSON: {"mon": [["08:00", "15:00"]], ...}, all 7 days."""
        return {day: [[i[:5], i[6:]] for i in getattr(self, day)] for day in WEEKDAYS}


class HolidayCalendar(Strict):
    """Public holidays from the `holidays` package; `government` adds Indonesia's cuti bersama."""

    country: str = "ID"
    categories: list[str] = ["public"]

    @model_validator(mode="after")
    def _known(self) -> HolidayCalendar:
        check_holidays(self).raise_any("HolidayCalendar")
        return self

    def calendar(self, years: int | list[int]) -> holidays_lib.HolidayBase:
        return holidays_lib.country_holidays(
            self.country, years=years, categories=tuple(self.categories)
        )


class Closure(Strict):
    date: date
    reason: NonBlank


class Region(Strict):
    province: Name
    # empty: the whole province
    regencies: list[Name] = []


class OfficeSpec(Strict):
    code: OfficeCode
    name: Name
    whatsapp: WhatsAppAddress
    timezone: TimeZoneName
    hours: WeeklyHours
    holidays: HolidayCalendar | None = None
    closures: list[Closure] = []
    regions: list[Region] = []
    # the supervisory region (issue 17's scopes), e.g. "DKI-JAKARTA": a regional supervisor
    # sees every office of hers; not the `regions` citizens are routed by
    region: RegionCode | None = None

    @model_validator(mode="after")
    def _sane(self) -> OfficeSpec:
        problems = Problems()
        if not any(getattr(self.hours, day) for day in WEEKDAYS):
            problems.add(
                ("hours",),
                "the office is never open",
                'add opening intervals, e.g. mon: ["08:00-15:00"]',
            )
        for index, day, first in repeats(closure.date for closure in self.closures):
            problems.add(
                ("closures", index, "date"),
                f"{day} is listed twice (also closures[{first}])",
                "keep one entry per date",
                day.isoformat(),
            )
        problems.raise_any("OfficeSpec")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def closure_dates(self) -> set[date]:
        return {closure.date for closure in self.closures}

    def region_names(self) -> set[str]:
        names = set()
        for region in self.regions:
            names.update(region_key(n) for n in region.regencies or [region.province])
        return names


def region_key(name: str) -> str:
    words = name.casefold().replace(".", " ").split()
    while words and words[0] in ("kabupaten", "kab", "kota", "provinsi", "prov"):
        words = words[1:]
    return " ".join(words)
