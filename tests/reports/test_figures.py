"""Figures on tickets with KNOWN times, run through the real operations (open, claim, reply,
transfer, resolve, cancel) with the clock moved between steps, so the waits are the product's
own. Every expected value below is worked out by hand (percentiles: linear interpolation).

Office Asia/Jakarta (WIB, UTC+7), Mon–Fri 08:00–15:00, Indonesian holidays from `holidays`:
Thu 24 Dec 2026 is Cuti Bersama Natal and Fri 25 Dec 2026 is Hari Raya Natal.

  T1 Fri 27 Nov 14:30 KEP, answered Mon 30 Nov 08:15, resolved 08:45
     business 30 min Fri + 15 min Mon = 2700; calendar 2d 17h45m = 236700; handle 1800
  T5 Sat 28 Nov 10:00 FASKES (deferred), released Mon 08:00, answered 08:10, resolved 09:10
     business 600; calendar 46h10m = 166200; handle 3600; rated 4
  T2 Tue 1 Dec 09:00 KEP, answered 09:04, resolved 09:20: 240 / 240; handle 960; rated 5
  T3 Tue 1 Dec 10:00 KEP in Q2, transferred to Q 10:05, answered 10:50, resolved 11:00:
     3000 / 3000; handle 600; rated 3
  T6 Tue 1 Dec 11:00 KEP, never answered, SLA breached at 11:30
  T7 Tue 1 Dec 12:00 KEP, cancelled by the citizen 12:10
  T8 Tue 1 Dec 13:00 KEP, never answered, not breached
  T4 Wed 23 Dec 14:00 FASKES in Q3 (agent B), answered Mon 28 Dec 08:30 (Christmas between):
     business 60 min Wed + 30 min Mon = 5400; calendar 4d 18h30m = 412200; still held
The figures are read at Mon 28 Dec 09:00 WIB, over 27 Nov – 28 Dec.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from pandawa.reports import figures as fig
from pandawa.reports import series
from pandawa.reports.scope import scope_for_days
from pandawa.tickets.cancel import cancel_by_citizen
from pandawa.tickets.claims import claim_next
from pandawa.tickets.operations import open_ticket, reply, resolve, transfer

WIB = ZoneInfo("Asia/Jakarta")
FIRST, LAST = date(2026, 11, 27), date(2026, 12, 28)


def wib(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


@pytest.fixture
def known(session, clock, make_office, make_queue, make_user, make_conversation):
    office = make_office("KC-JKT")
    q, q2, q3 = make_queue("QKEP"), make_queue("QFKS2"), make_queue("QFKS3")
    a = make_user("a@example.go.id", queues=[q])
    b = make_user("b@example.go.id", queues=[q3])
    boss = make_user("boss@example.go.id", role="supervisor")
    admin = make_user("admin@example.go.id", role="admin")
    t: dict[str, object] = {}

    def open_(name, when, queue, service, status="waiting", contact_name="Siti Rahayu"):
        clock.set(when)
        conversation = make_conversation(office=office)
        conversation.contact.name = contact_name
        t[name] = open_ticket(
            session,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            office_id=office.id,
            queue_id=queue.id,
            details={"service": service},
            status=status,
        )
        t[name].conversation = conversation
        return t[name]

    def claim(name, agent, when):
        clock.set(when)
        assert claim_next(session, agent) is t[name]

    def answer(name, agent, when):
        clock.set(when)
        t[name].conversation.last_inbound_at = when  # the citizen just wrote: window open
        reply(session, t[name], agent, "Baik, kami bantu.")

    def done(name, agent, when, rating=None):
        clock.set(when)
        resolve(session, t[name], agent)
        t[name].satisfaction = rating

    open_("T1", wib(11, 27, 14, 30), q, "KEP", contact_name='=HYPERLINK("http://x")')
    open_("T5", wib(11, 28, 10), q, "FASKES", status="deferred", contact_name="+1 Budi")
    clock.set(wib(11, 30, 8))
    t["T5"].status, t["T5"].released_at = "waiting", wib(11, 30, 8)  # the release at opening
    claim("T1", a, wib(11, 30, 8))
    claim("T5", a, wib(11, 30, 8, 5))
    answer("T5", a, wib(11, 30, 8, 10))
    answer("T1", a, wib(11, 30, 8, 15))
    done("T1", a, wib(11, 30, 8, 45))
    done("T5", a, wib(11, 30, 9, 10), rating=4)
    open_("T2", wib(12, 1, 9), q, "KEP", contact_name="-2 Ani")
    claim("T2", a, wib(12, 1, 9, 2))
    answer("T2", a, wib(12, 1, 9, 4))
    done("T2", a, wib(12, 1, 9, 20), rating=5)
    open_("T3", wib(12, 1, 10), q2, "KEP", contact_name="@x")
    clock.set(wib(12, 1, 10, 5))
    transfer(session, t["T3"], boss, q.code)
    claim("T3", a, wib(12, 1, 10, 10))
    answer("T3", a, wib(12, 1, 10, 50))
    done("T3", a, wib(12, 1, 11), rating=3)
    open_("T6", wib(12, 1, 11), q, "KEP")
    t["T6"].sla_breached_at = wib(12, 1, 11, 30)
    open_("T7", wib(12, 1, 12), q, "KEP")
    clock.set(wib(12, 1, 12, 10))
    cancel_by_citizen(session, t["T7"])
    open_("T8", wib(12, 1, 13), q, "KEP")
    open_("T4", wib(12, 23, 14), q3, "FASKES")
    claim("T4", b, wib(12, 28, 8, 20))
    answer("T4", b, wib(12, 28, 8, 30))
    t["T1"].reopen_templates_sent, t["T1"].reopen_templates_answered = 2, 1
    t["T4"].reopen_templates_sent = 1
    clock.set(wib(12, 28, 9))
    session.flush()
    return SimpleNamespace(
        t=t, office=office, q=q, q2=q2, q3=q3, a=a, b=b, boss=boss, admin=admin,
        scope=scope_for_days(FIRST, LAST, "Asia/Jakarta"),
    )  # fmt: skip


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
