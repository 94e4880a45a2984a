"""pandawa.reports.figures and series on the tickets with KNOWN times of the `known` fixture
(tests/figures.py, where each ticket's times and waits are worked out by hand)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pytest

from pandawa.reports import figures as fig
from pandawa.reports import series
from pandawa.reports.scope import scope_for_days
from tests.figures import FIRST, LAST


def test_the_product_computed_the_waits(known):
    waits = {n: (x.wait_business_seconds, x.wait_seconds) for n, x in known.t.items()}
    assert waits == {
        "T1": (2700, 236700),
        "T5": (600, 166200),
        "T2": (240, 240),
        "T3": (3000, 3000),
        "T6": (None, None),
        "T7": (None, None),
        "T8": (None, None),
        "T4": (5400, 412200),
    }


def test_figures_for_all(session, known):
    (row,) = fig.figures(session, known.boss, known.scope, by="all")
    assert asdict(row) == {
        "key": "all",
        "label": "Semua",
        "created": 8,
        "resolved": 4,
        "cancelled": 1,
        "transferred": 1,
        "responded": 5,
        # business waits 240, 600, 2700, 3000, 5400: p90 at rank 3.6 = 3000 + 0.6 * 2400
        "wait_business_p50": 2700.0,
        "wait_business_p90": 4440.0,
        "wait_business_avg": 2388.0,
        # calendar 240, 3000, 166200, 236700, 412200: p90 = 236700 + 0.6 * 175500
        "wait_calendar_p50": 166200.0,
        "wait_calendar_p90": 342000.0,
        "wait_calendar_avg": 163668.0,
        # handle 600, 960, 1800, 3600: p50 = 960 + 0.5 * 840; p90 at 2.7 = 1800 + 0.7 * 1800
        "handle_p50": 1380.0,
        "handle_p90": 3060.0,
        "handle_avg": 1740.0,
        # resolution 1200, 3600, 169800, 238500
        "resolution_p50": 86700.0,
        "resolution_p90": 217890.0,
        "resolution_avg": 103275.0,
        # met: T2 (240), T5 (600); counted: 5 answered + T6 (breached, unanswered)
        "sla_met": 2,
        "sla_counted": 6,
        "sla_attainment": 0.3333,
        "sla_seconds": None,
        "satisfaction_avg": 4.0,
        "satisfaction_count": 3,
        "reopened": 0,
    }


def test_figures_per_queue_and_per_agent(session, known):
    rows = {r.key: r for r in fig.figures(session, known.boss, known.scope, by="queue")}
    assert {"QKEP", "QFKS2", "QFKS3"} <= set(rows)
    kep, empty, fks = rows["QKEP"], rows["QFKS2"], rows["QFKS3"]
    assert (kep.created, kep.responded, kep.sla_met, kep.sla_counted) == (7, 4, 2, 5)
    assert (kep.wait_business_p50, kep.wait_business_p90, kep.wait_business_avg) == (
        1650.0,  # 600 + 0.5 * (2700 - 600)
        2910.0,  # 2700 + 0.7 * 300
        1635.0,
    )
    assert (kep.sla_attainment, kep.sla_seconds, kep.label) == (0.4, 1800, "Antrean QKEP")
    assert (empty.created, empty.wait_business_p50, empty.sla_attainment) == (0, None, None)
    assert (fks.created, fks.wait_business_p50, fks.wait_business_p90) == (1, 5400.0, 5400.0)
    assert (fks.sla_met, fks.sla_counted, fks.sla_attainment) == (0, 1, 0.0)

    agents = {r.key: r for r in fig.figures(session, known.boss, known.scope, by="agent")}
    a, b = agents["a@example.go.id"], agents["b@example.go.id"]
    assert (a.created, a.resolved, a.responded, a.sla_met, a.sla_counted) == (4, 4, 4, 2, 4)
    assert (a.sla_attainment, a.satisfaction_avg, a.satisfaction_count) == (0.5, 4.0, 3)
    assert (b.created, b.wait_calendar_p50, b.handle_p50) == (1, 412200.0, None)


def test_agents_see_only_their_queues_and_their_own_row(session, known):
    queues = [r.key for r in fig.figures(session, known.a, known.scope, by="queue")]
    assert queues == ["QKEP"]
    (row,) = fig.figures(session, known.a, known.scope, by="all")
    assert (row.created, row.responded) == (7, 4)
    assert [r.key for r in fig.figures(session, known.b, known.scope, by="agent")] == [
        "b@example.go.id"
    ]


def test_volume_by_hour_and_weekday_in_local_time(session, known):
    hours = series.volume_by_hour(session, known.boss, known.scope)
    assert hours == [0] * 9 + [1, 2, 1, 1, 1, 2] + [0] * 9
    assert series.volume_by_weekday(session, known.boss, known.scope) == [0, 5, 1, 0, 1, 1, 0]


def test_wait_distribution(session, known):
    buckets = series.wait_distribution(session, known.boss, known.scope)
    assert [(b.key, b.lower, b.upper, b.count) for b in buckets] == [
        ("lt5m", 0, 300, 1),
        ("5-15m", 300, 900, 1),
        ("15-30m", 900, 1800, 0),
        ("30-60m", 1800, 3600, 2),
        ("1-2h", 3600, 7200, 1),
        ("2-4h", 7200, 14400, 0),
        ("4-8h", 14400, 28800, 0),
        ("ge8h", 28800, None, 0),
    ]


def test_sla_by_day_has_every_local_day(session, known):
    points = series.sla_by_day(session, known.boss, known.scope)
    assert [p.day for p in points] == [FIRST + timedelta(days=i) for i in range(32)]
    busy = {p.day: (p.created, p.met, p.counted, p.attainment) for p in points if p.created}
    assert busy == {
        date(2026, 11, 27): (1, 0, 1, 0.0),
        date(2026, 11, 28): (1, 1, 1, 1.0),
        date(2026, 12, 1): (5, 1, 3, 0.3333),
        date(2026, 12, 23): (1, 0, 1, 0.0),
    }


def test_carryover_per_office_and_service(session, known):
    rows = [asdict(r) for r in series.carryover(session, known.boss, known.scope)]
    assert rows == [
        # T4 (Wed → Mon) and T5 (Sat → Mon); reopen templates on T4
        {"office_code": "KC-JKT", "office_name": "Kantor Cabang Uji", "service": "FASKES",
         "created": 2, "carried_over": 2, "share": 1.0, "reopen_sent": 1, "reopen_answered": 0},
        # T1 (Fri → Mon), T6 and T8 (still unanswered today); not T7 (cancelled)
        {"office_code": "KC-JKT", "office_name": "Kantor Cabang Uji", "service": "KEP",
         "created": 6, "carried_over": 3, "share": 0.5, "reopen_sent": 2, "reopen_answered": 1},
    ]  # fmt: skip


def test_scope_filters_and_range_edges(session, known):
    one_day = scope_for_days(date(2026, 12, 1), date(2026, 12, 1), "Asia/Jakarta")
    (row,) = fig.figures(session, known.boss, one_day, by="all")
    assert row.created == 5
    by_queue = scope_for_days(FIRST, LAST, "Asia/Jakarta", queue_id=known.q3.id)
    (row,) = fig.figures(session, known.boss, by_queue, by="all")
    assert (row.created, row.wait_business_p50) == (1, 5400.0)
    by_agent = scope_for_days(FIRST, LAST, "Asia/Jakarta", agent_id=known.a.id)
    assert series.volume_by_weekday(session, known.boss, by_agent) == [0, 2, 0, 0, 1, 1, 0]


@pytest.mark.parametrize("by", ["queue", "agent", "all"])
def test_python_fallback_equals_the_sql(session, known, by):
    """SQLite's path (rows aggregated in Python) gives the PostgreSQL figures exactly."""
    key = {"queue": fig.Ticket.queue_id, "agent": fig.Ticket.assignee_id, "all": None}[by]
    clauses = [fig.Ticket.assignee_id.is_not(None)] if by == "agent" else []
    sql = fig._figures_sql(session, known.boss, known.scope, key, clauses)
    python = fig._figures_python(session, known.boss, known.scope, key, clauses)
    assert {k: asdict(v) for k, v in python.items()} == {k: asdict(v) for k, v in sql.items()}
