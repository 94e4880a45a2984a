"""Drill-down: each filter lists exactly the tickets the figure counted (the fixture `known`:
tests/figures.py)."""

from __future__ import annotations

from datetime import date

import pytest

from pandawa.dashboard.drilldown import Drill, drill_from_args, iter_ticket_rows, ticket_rows
from pandawa.reports import series
from pandawa.reports.scope import ScopeError


def names(known, rows) -> list[str]:
    by_number = {t.number: name for name, t in known.t.items()}
    return sorted(by_number[r.number] for r in rows)


def listed(session, known, user=None, **filters) -> list[str]:
    rows = list(iter_ticket_rows(session, user or known.boss, known.scope, Drill(**filters)))
    return names(known, rows)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"waited_over": 1800}, ["T1", "T3", "T4", "T6"]),  # T6: unanswered, breached
        ({"sla": "missed"}, ["T1", "T3", "T4", "T6"]),
        ({"sla": "met"}, ["T2", "T5"]),
        ({"hour": 14}, ["T1", "T4"]),
        ({"weekday": 5}, ["T5"]),
        ({"day": date(2026, 12, 1)}, ["T2", "T3", "T6", "T7", "T8"]),
        ({"carried_over": True}, ["T1", "T4", "T5", "T6", "T8"]),
        ({"carried_over": False}, ["T2", "T3", "T7"]),
        ({"service": "FASKES"}, ["T4", "T5"]),
        ({"reopen": "sent"}, ["T1", "T4"]),
        ({"reopen": "answered"}, ["T1"]),
        ({"transferred": True}, ["T3"]),
        ({"status": "cancelled"}, ["T7"]),
        ({"service": "KEP", "carried_over": True}, ["T1", "T6", "T8"]),
    ],
)
def test_each_filter_lists_the_tickets_behind_the_figure(session, known, filters, expected):
    assert listed(session, known, **filters) == expected


def test_bucket_drills_add_up_to_the_distribution(session, known):
    for bucket in series.wait_distribution(session, known.boss, known.scope):
        assert len(listed(session, known, wait_bucket=bucket.key)) == bucket.count
    hours = series.volume_by_hour(session, known.boss, known.scope)
    assert [len(listed(session, known, hour=h)) for h in range(24)] == hours
    for point in series.sla_by_day(session, known.boss, known.scope):
        assert len(listed(session, known, day=point.day)) == point.created


def test_rows_carry_the_figures_and_pages_chain(session, known):
    rows, cursor = ticket_rows(session, known.boss, known.scope, Drill(), limit=3)
    seen = names(known, rows)
    assert rows[0].number == known.t["T1"].number
    t1 = rows[0]
    assert (t1.wait_business_seconds, t1.handle_seconds, t1.sla_met) == (2700, 1800, False)
    assert (t1.office_code, t1.queue_code, t1.agent_email, t1.service) == (
        "KC-JKT", "QKEP", "a@example.go.id", "KEP",
    )  # fmt: skip
    while cursor:
        rows, cursor = ticket_rows(
            session, known.boss, known.scope, Drill(), cursor=cursor, limit=3
        )
        seen += names(known, rows)
    assert sorted(seen) == sorted(known.t)
    assert len(seen) == len(set(seen))


def test_agents_drill_only_their_queues(session, known):
    assert listed(session, known, user=known.b) == ["T4"]


def test_drill_args_round_trip_and_refuse_bad_values():
    drill = drill_from_args({"waited_over": "1800", "carried_over": "1", "day": "2026-12-01"})
    assert drill == Drill(waited_over=1800, carried_over=True, day=date(2026, 12, 1))
    assert drill_from_args(drill.query_args()) == drill
    for bad in ({"hour": "24"}, {"sla": "late"}, {"wait_bucket": "x"}, {"day": "1 Des"},
                {"carried_over": "maybe"}, {"waited_over": "-5"}):  # fmt: skip
        with pytest.raises(ScopeError, match=" / "):
            drill_from_args(bad)
