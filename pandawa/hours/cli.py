"""`pandawa closures …`, `pandawa hours show` and `pandawa office open-now|close-now`.

Each command commits once; an unknown office or a pointless change exits 1 with the reason.
Times come from pandawa.core.clock, so a rehearsal clock (PANDAWA_CLOCK) moves them too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.hours import operations, queries
from pandawa.hours.calendar import CalendarError, OfficeCalendar
from pandawa.hours.formatting import format_clock, format_date, format_local, zone_abbreviation
from pandawa.hours.models import Office

DATE = click.DateTime(formats=["%Y-%m-%d"])
OFFICE = click.option("--office", "code", required=True, metavar="CODE", help="Office code.")


@click.group()
def closures_group() -> None:
    """Closure days of an office: extra closures, cancelled or moved holidays."""


@click.group()
def hours_group() -> None:
    """Operating hours of an office."""


@click.group()
def office_group() -> None:
    """Open an office early or close it for the rest of the day."""


def _office(code: str) -> Office:
    office = queries.office_by_code(db.session, code.strip().upper())
    if office is None:
        known = ", ".join(o.code for o in _all_offices()) or "-"
        raise click.ClickException(
            f"kantor {code!r} tidak dikenal / unknown office {code!r}; known: {known}"
        )
    return office


def _all_offices() -> list[Office]:
    return list(db.session.scalars(sa.select(Office).order_by(Office.code)))


def _day(value: datetime) -> date:
    return value.date()


def _static_closures(office: Office, day: date) -> str:
    """What closes `day` besides the operator: the package's holiday, catalogue closures."""
    names = []
    holiday = queries.office_holidays(office, range(day.year, day.year + 1)).get(day)
    if holiday:
        names.append(holiday)
    names.extend(reason for when, reason in queries.catalogue_closures(office) if when == day)
    return "; ".join(names)


# -- closures -------------------------------------------------------------------------------
@closures_group.command("add")
@click.argument("day", metavar="DATE", type=DATE)
@OFFICE
@click.option("--reason", required=True, help="Why the office is closed (shown to operators).")
@with_appcontext
def add_command(day: datetime, code: str, reason: str) -> None:
    """Close the office all day on DATE (YYYY-MM-DD, office-local)."""
    office = _office(code)
    row = operations.add_closure(db.session, office, _day(day), reason)
    db.session.commit()
    click.echo(
        f"{office.code}: tutup pada {format_date(row.day, 'id')} — {row.reason} "
        f"/ closed on {row.day.isoformat()}"
    )


@closures_group.command("remove")
@click.argument("day", metavar="DATE", type=DATE)
@OFFICE
@click.option("--reason", default="", help="Why (e.g. the sidang isbat fixed another date).")
@with_appcontext
def remove_command(day: datetime, code: str, reason: str) -> None:
    """Reopen DATE: delete the operator's closure there, or cancel the holiday on it."""
    office = _office(code)
    when = _day(day)
    label = format_date(when, "id")
    existing = {row.day: row for row in queries.operator_closures(db.session, office)}.get(when)
    static = _static_closures(office, when)
    if existing is not None and existing.kind == "closed":
        operations.delete_closure(db.session, office, when)
        db.session.commit()
        message = f"{office.code}: penutupan {label} dihapus / closure on {when} deleted"
        if static:
            message += f"; tetap tutup / still closed: {static}"
        click.echo(message)
        return
    if existing is not None:
        raise click.ClickException(
            f"libur {label} sudah dibatalkan / the holiday on {when} is already cancelled "
            f"({existing.reason or '-'})"
        )
    if not static:
        raise click.ClickException(
            f"{office.code} tidak tutup pada {label} / nothing closes {office.code} on {when}"
        )
    operations.remove_holiday(db.session, office, when, reason or "dibatalkan operator")
    db.session.commit()
    click.echo(
        f"{office.code}: libur {label} ({static}) dibatalkan, jam layanan biasa berlaku "
        f"/ holiday on {when} cancelled, weekly hours apply"
    )


@closures_group.command("move")
@click.argument("from_day", metavar="FROM", type=DATE)
@click.argument("to_day", metavar="TO", type=DATE)
@OFFICE
@click.option("--reason", required=True, help="Why (e.g. SKB 3 Menteri, sidang isbat).")
@with_appcontext
def move_command(from_day: datetime, to_day: datetime, code: str, reason: str) -> None:
    """Move the holiday on FROM to TO: open on FROM, closed on TO."""
    office = _office(code)
    source, target = _day(from_day), _day(to_day)
    if source == target:
        raise click.ClickException("FROM dan TO sama / FROM and TO are the same date")
    calendar = queries.calendar_for(db.session, office, years=_years(source, target))
    if calendar.is_working_day(source):
        raise click.ClickException(
            f"{office.code} tidak libur pada {format_date(source, 'id')} / no holiday on "
            f"{source} to move; use `pandawa closures add` for a new closure"
        )
    name = calendar.closed_days.get(source, "")
    operations.move_holiday(db.session, office, source, target, reason)
    db.session.commit()
    click.echo(
        f"{office.code}: libur {name} dipindah dari {format_date(source, 'id')} ke "
        f"{format_date(target, 'id')} / holiday moved from {source} to {target}"
    )


@closures_group.command("list")
@OFFICE
@click.option("--days", default=365, show_default=True, help="How far ahead to list holidays.")
@with_appcontext
def list_command(code: str, days: int) -> None:
    """The office's closures: catalogue, operator changes, and coming holidays."""
    office = _office(code)
    today = now().astimezone(ZoneInfo(office.timezone)).date()
    last = today + timedelta(days=days)
    operator = queries.operator_closures(db.session, office)
    changed = {row.day for row in operator}
    click.echo(f"{office.code} — {office.name}")
    click.echo("Perubahan operator / operator changes:")
    for row in operator:
        kind = "tutup / closed" if row.kind == "closed" else "buka / open (libur dibatalkan)"
        click.echo(f"  {row.day}  {format_date(row.day, 'id'):<28} {kind}  {row.reason}")
    if not operator:
        click.echo("  -")
    click.echo("Penutupan katalog / catalogue closures:")
    catalogue = queries.catalogue_closures(office)
    for day, reason in catalogue:
        note = "  (diubah operator / changed by operator)" if day in changed else ""
        click.echo(f"  {day}  {format_date(day, 'id'):<28} {reason}{note}")
    if not catalogue:
        click.echo("  -")
    click.echo(f"Hari libur / holidays {today} … {last}:")
    holidays = queries.office_holidays(office, range(today.year, last.year + 1))
    for day, name in sorted(holidays.items()):
        if today <= day <= last:
            note = "  (diubah operator / changed by operator)" if day in changed else ""
            click.echo(f"  {day}  {format_date(day, 'id'):<28} {name}{note}")


# -- hours ----------------------------------------------------------------------------------
@hours_group.command("show")
@OFFICE
@click.option("--days", default=30, show_default=True, help="How many days from today.")
@with_appcontext
def show_command(code: str, days: int) -> None:
    """Print the coming days' opening hours in the office's local time."""
    office = _office(code)
    at = now()
    calendar = queries.calendar_for(db.session, office)
    abbreviation = zone_abbreviation(office.timezone, at)
    click.echo(f"{office.code} — {office.name} ({office.timezone}, {abbreviation})")
    click.echo(_status_line(calendar, office, at))
    reasons = {row.day: row.reason for row in queries.operator_closures(db.session, office)}
    today = calendar.local_date(at)
    for offset in range(days):
        day = today + timedelta(days=offset)
        click.echo(f"{format_date(day, 'id'):<28} {_day_line(calendar, day, reasons)}")


def _status_line(calendar: OfficeCalendar, office: Office, at: datetime) -> str:
    try:
        closing = calendar.next_closing(at)
        if closing is not None:
            return f"Sekarang buka sampai {format_local(closing, office.timezone, 'id')}"
        opening = calendar.next_opening(at)
    except CalendarError as exc:
        return f"Periksa kalender / check the calendar: {exc}"
    return f"Sekarang tutup; buka lagi {format_local(opening, office.timezone, 'id')}"


def _day_line(calendar: OfficeCalendar, day: date, reasons: dict[date, str]) -> str:
    start, end = calendar.day_bounds(day)
    intervals = calendar.open_intervals(start, end)
    touched = any(o.starts_at < end and o.ends_at > start for o in calendar.overrides)
    abbreviation = zone_abbreviation(calendar.zone.key, start)
    if intervals:
        spans = ", ".join(
            f"{_clock(a, calendar, day)}–{_clock(b, calendar, day)}" for a, b in intervals
        )
        notes = []
        if day in calendar.open_days:
            notes.append(f"libur dibatalkan: {reasons.get(day) or '-'}")
        if touched:
            notes.append("jam diubah supervisor")
        return f"{spans} {abbreviation}" + (f" ({'; '.join(notes)})" if notes else "")
    if not calendar.is_working_day(day):
        reason = calendar.closed_days.get(day, "")
    elif touched and calendar.regular_intervals(day):
        reason = "ditutup supervisor"
    elif day.weekday() >= 5:
        reason = "akhir pekan"
    else:
        reason = "tidak ada jam layanan"
    return f"tutup — {reason or 'libur'}"


def _clock(at: datetime, calendar: OfficeCalendar, day: date) -> str:
    local = at.astimezone(calendar.zone)
    if local.date() > day:  # open until midnight
        return "24.00"
    return format_clock(local.hour, local.minute, "id")


# -- office ---------------------------------------------------------------------------------
@office_group.command("open-now")
@click.argument("code", metavar="CODE")
@click.option("--reason", default="", help="Why (kept with the record).")
@with_appcontext
def open_now_command(code: str, reason: str) -> None:
    """Open office CODE now, until its usual closing time (or midnight on a day off)."""
    office = _office(code)
    row = operations.override_now(db.session, office, "open", now(), reason=reason)
    db.session.commit()
    click.echo(
        f"{office.code}: buka sampai {format_local(row.ends_at, office.timezone, 'id')} "
        f"/ open until {format_local(row.ends_at, office.timezone, 'en')}"
    )


@office_group.command("close-now")
@click.argument("code", metavar="CODE")
@click.option("--reason", default="", help="Why (kept with the record).")
@with_appcontext
def close_now_command(code: str, reason: str) -> None:
    """Close office CODE now, for the rest of its local day."""
    office = _office(code)
    at = now()
    row = operations.override_now(db.session, office, "closed", at, reason=reason)
    calendar = queries.calendar_for(db.session, office)
    db.session.commit()
    opening = format_local(calendar.next_opening(row.ends_at), office.timezone, "id")
    click.echo(
        f"{office.code}: tutup sampai akhir hari / closed for the rest of the day; "
        f"buka lagi {opening}"
    )


def _years(*days: date) -> range:
    return range(min(d.year for d in days) - 1, max(d.year for d in days) + 2)
