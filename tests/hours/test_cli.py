"""`pandawa closures …`, `pandawa hours show`, `pandawa office open-now|close-now` as an
operator runs them (the clock stands at Tuesday 1 December 2026, 10:00 WIB)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from pandawa.hours.formatting import DAY_NAMES
from pandawa.hours.models import OfficeClosure, OfficeOverride
from pandawa.hours.queries import calendar_for
from tests.hours.conftest import WIB, WIT, local


@pytest.fixture
def run(app, session):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args))

    return invoke


def lines_by_day(output: str) -> dict[str, str]:
    """'Kamis, 3 Desember 2026      tutup — …' → {'Kamis, 3 Desember 2026': 'tutup — …'}."""
    result = {}
    for line in output.splitlines():
        head, _, rest = line.partition("2026")
        if head.split(",")[0] in DAY_NAMES["id"] and rest.startswith(" "):
            result[f"{head}2026"] = rest.strip()
    return result


def test_hours_show_prints_the_coming_days_in_local_time(run, make_office):
    make_office("JKT-PUSAT")

    result = run("hours", "show", "--office", "JKT-PUSAT", "--days", "30")

    assert result.exit_code == 0, result.output
    days = lines_by_day(result.output)
    assert len(days) == 30
    assert days["Selasa, 1 Desember 2026"] == "08.00–15.00 WIB"
    assert days["Sabtu, 5 Desember 2026"] == "tutup — akhir pekan"
    assert days["Kamis, 24 Desember 2026"] == "tutup — Cuti Bersama Hari Raya Natal"
    assert days["Jumat, 25 Desember 2026"] == "tutup — Hari Raya Natal"
    assert "Sekarang buka sampai Selasa, 1 Desember 2026 pukul 15.00 WIB" in result.output


def test_a_closure_added_by_the_cli_closes_the_day_and_moves_the_next_opening(
    run, session, make_office
):
    office = make_office("JKT-PUSAT")
    wednesday_evening = local(WIB, 2026, 12, 2, 16, 0)
    assert calendar_for(session, office).next_opening(wednesday_evening) == local(
        WIB, 2026, 12, 3, 8, 0
    )

    added = run(
        "closures", "add", "2026-12-03", "--office", "JKT-PUSAT", "--reason", "Rapat kerja tahunan"
    )

    assert added.exit_code == 0, added.output
    assert "tutup pada Kamis, 3 Desember 2026" in added.output
    shown = run("hours", "show", "--office", "JKT-PUSAT", "--days", "7")
    assert lines_by_day(shown.output)["Kamis, 3 Desember 2026"] == "tutup — Rapat kerja tahunan"
    assert calendar_for(session, office).next_opening(wednesday_evening) == local(
        WIB, 2026, 12, 4, 8, 0
    )
    listed = run("closures", "list", "--office", "JKT-PUSAT")
    assert "2026-12-03  Kamis, 3 Desember 2026" in listed.output
    assert "Rapat kerja tahunan" in listed.output
    assert "Cuti Bersama Hari Raya Natal" in listed.output


def test_remove_deletes_a_closure_or_cancels_a_holiday_and_says_which(run, session, make_office):
    office = make_office("JKT-PUSAT")
    run("closures", "add", "2026-12-03", "--office", "JKT-PUSAT", "--reason", "Rapat")

    deleted = run("closures", "remove", "2026-12-03", "--office", "JKT-PUSAT")
    cancelled = run(
        "closures",
        "remove",
        "2026-12-24",
        "--office",
        "JKT-PUSAT",
        "--reason",
        "Cuti bersama ditiadakan",
    )
    again = run("closures", "remove", "2026-12-24", "--office", "JKT-PUSAT")
    nothing = run("closures", "remove", "2026-12-02", "--office", "JKT-PUSAT")

    assert deleted.exit_code == 0, deleted.output
    assert "closure on 2026-12-03 deleted" in deleted.output
    assert cancelled.exit_code == 0, cancelled.output
    assert "holiday on 2026-12-24 cancelled" in cancelled.output
    assert "Cuti Bersama Hari Raya Natal" in cancelled.output
    assert again.exit_code == 1 and "already cancelled" in again.output
    assert nothing.exit_code == 1 and "nothing closes JKT-PUSAT on 2026-12-02" in nothing.output
    rows = session.scalars(sa.select(OfficeClosure).where(OfficeClosure.office_id == office.id))
    assert [(r.day, r.kind, r.reason) for r in rows] == [
        (date(2026, 12, 24), "open", "Cuti bersama ditiadakan")
    ]
    shown = run("hours", "show", "--office", "JKT-PUSAT", "--days", "30")
    assert lines_by_day(shown.output)["Kamis, 24 Desember 2026"] == (
        "08.00–15.00 WIB (libur dibatalkan: Cuti bersama ditiadakan)"
    )


def test_move_opens_the_old_date_and_closes_the_new_one(run, session, make_office):
    office = make_office("JKT-PUSAT")

    moved = run(
        "closures",
        "move",
        "2026-12-24",
        "2026-12-28",
        "--office",
        "JKT-PUSAT",
        "--reason",
        "SKB 3 Menteri",
    )
    not_a_holiday = run(
        "closures", "move", "2026-12-02", "2026-12-03", "--office", "JKT-PUSAT", "--reason", "x"
    )

    assert moved.exit_code == 0, moved.output
    assert "dipindah dari Kamis, 24 Desember 2026 ke Senin, 28 Desember 2026" in moved.output
    calendar = calendar_for(session, office)
    assert calendar.is_open(local(WIB, 2026, 12, 24, 10, 0))
    assert not calendar.is_open(local(WIB, 2026, 12, 28, 10, 0))
    assert not_a_holiday.exit_code == 1
    assert "no holiday on 2026-12-02" in not_a_holiday.output


def test_open_now_and_close_now_take_effect_at_once(run, session, make_office, clock):
    office = make_office("JAYAPURA", timezone=WIT)
    clock.set(local(WIT, 2026, 12, 5, 9, 0))  # Saturday

    opened = run("office", "open-now", "JAYAPURA", "--reason", "Layanan akhir pekan")

    assert opened.exit_code == 0, opened.output
    assert "buka sampai Minggu, 6 Desember 2026 pukul 00.00 WIT" in opened.output
    assert calendar_for(session, office).is_open(clock.now())

    clock.advance(hours=2)
    closed = run("office", "close-now", "jayapura")

    assert closed.exit_code == 0, closed.output
    assert "buka lagi Senin, 7 Desember 2026 pukul 08.00 WIT" in closed.output
    assert not calendar_for(session, office).is_open(clock.now())
    rows = session.scalars(sa.select(OfficeOverride).order_by(OfficeOverride.id)).all()
    assert [(r.kind, r.reason, r.actor_id) for r in rows] == [
        ("open", "Layanan akhir pekan", None),
        ("closed", "", None),
    ]


def test_an_unknown_office_exits_1_naming_the_known_ones(run, make_office):
    make_office("JKT-PUSAT")

    result = run("hours", "show", "--office", "NOPE")

    assert result.exit_code == 1
    assert "unknown office 'NOPE'" in result.output
    assert "JKT-PUSAT" in result.output


def test_every_command_has_help(run):
    for args in (
        ("closures",),
        ("closures", "add"),
        ("closures", "remove"),
        ("closures", "move"),
        ("closures", "list"),
        ("hours", "show"),
        ("office", "open-now"),
        ("office", "close-now"),
    ):
        result = run(*args, "--help")
        assert result.exit_code == 0, args
        assert "Usage:" in result.output
