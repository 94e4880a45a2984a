"""The live board: counts, oldest waits in business and calendar time, breaches, agents'
load, offices' next change, visibility, and a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from pandawa.core.extensions import db
from pandawa.reports.board import Board, QueueRow, board, effective_presence

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))


@pytest.fixture
def aged(session):
    """Move a ticket's creation (and release) back in time."""

    def age(ticket, created_at: datetime, *, released_at: datetime | None = None):
        ticket.created_at = created_at
        ticket.released_at = released_at or created_at
        session.flush()
        return ticket

    return age


@pytest.fixture
def floor(session, make_office, make_queue, make_user, make_conversation, make_ticket, aged, clock):
    """Tuesday 1 December 2026, 10:00 WIB. Queue UMUM (30-minute target): a ticket from
    Monday 14:40 (20 open minutes Monday + 120 Tuesday), one from 09:50, one deferred, one held.
    Queue CEPAT (10-minute target): one ticket from 09:55. Queue KOSONG: nothing."""
    office = make_office("JKT")
    umum = make_queue("UMUM", sla_seconds=1800)
    cepat = make_queue("CEPAT", sla_seconds=600)
    kosong = make_queue("KOSONG", sla_seconds=900)
    at = clock.now()

    def ticket(queue, status="waiting", assignee=None):
        return make_ticket(
            queue=queue,
            status=status,
            assignee=assignee,
            conversation=make_conversation(office=office),
        )

    online = make_user("ani@example.go.id", queues=[umum, cepat])
    online.name, online.presence, online.last_seen_at, online.capacity = "Ani", "online", at, 4
    away = make_user("budi@example.go.id", queues=[umum])
    away.name, away.presence, away.last_seen_at = "Budi", "away", at - timedelta(minutes=2)
    stale = make_user("citra@example.go.id", queues=[umum])  # chose online, silent 12 minutes
    stale.name, stale.presence = "Citra", "online"
    stale.last_seen_at = at - timedelta(minutes=12)
    gone = make_user("dedi@example.go.id", queues=[umum])  # offline, holds nothing: not listed
    gone.name, gone.presence, gone.last_seen_at = "Dedi", "offline", at

    # the newer one first: the oldest wait must come from the release times, not the ids
    aged(ticket(umum), datetime(2026, 12, 1, 9, 50, tzinfo=WIB))
    oldest = aged(ticket(umum), datetime(2026, 11, 30, 14, 40, tzinfo=WIB))
    ticket(umum, "deferred")
    held = ticket(umum, "assigned", assignee=online)
    ticket(cepat, "assigned", assignee=online)
    aged(ticket(cepat), datetime(2026, 12, 1, 9, 55, tzinfo=WIB))
    supervisor = make_user("kepala@example.go.id", role="supervisor")
    agent = make_user("agen@example.go.id", queues=[cepat])
    session.flush()
    return {
        "office": office,
        "queues": (umum, cepat, kosong),
        "oldest": oldest,
        "held": held,
        "supervisor": supervisor,
        "agent": agent,
    }


def by_code(result: Board) -> dict[str, QueueRow]:
    return {row.code: row for row in result.queues}


def test_counts_and_oldest_waits_in_business_and_calendar_time(session, floor):
    rows = by_code(board(session, floor["supervisor"]))
    assert list(rows) == ["CEPAT", "KOSONG", "UMUM"]
    umum = rows["UMUM"]
    assert (umum.waiting, umum.deferred, umum.assigned) == (2, 1, 1)
    # Monday 14:40 -> Tuesday 10:00: 19 h 20 min on the clock, 20 + 120 open minutes
    assert umum.oldest_wait_seconds == 19 * 3600 + 20 * 60
    assert umum.oldest_wait_business_seconds == 140 * 60
    assert umum.sla_seconds == 1800
    assert umum.is_breached is True
    assert umum.name == "Antrean UMUM"

    cepat = rows["CEPAT"]
    assert (cepat.waiting, cepat.deferred, cepat.assigned) == (1, 0, 1)
    assert cepat.oldest_wait_seconds == cepat.oldest_wait_business_seconds == 300
    assert cepat.is_breached is False

    kosong = rows["KOSONG"]
    assert (kosong.waiting, kosong.deferred, kosong.assigned) == (0, 0, 0)
    assert kosong.oldest_wait_seconds is None and kosong.oldest_wait_business_seconds is None
    assert kosong.is_breached is False


def test_a_queue_is_breached_only_past_its_target(session, floor, clock):
    # CEPAT's ticket from 09:55 reaches its 10 minutes at 10:05 and passes them after
    clock.set(datetime(2026, 12, 1, 10, 5, tzinfo=WIB))
    assert by_code(board(session, floor["supervisor"]))["CEPAT"].is_breached is False
    clock.set(datetime(2026, 12, 1, 10, 5, 1, tzinfo=WIB))
    assert by_code(board(session, floor["supervisor"]))["CEPAT"].is_breached is True


def test_agents_online_and_their_load(session, floor):
    rows = by_code(board(session, floor["supervisor"]))
    umum = rows["UMUM"]
    assert umum.agents_online == 1
    listed = [(a.email, a.presence, a.held, a.capacity) for a in umum.agents]
    # Ani holds two tickets in two queues against her capacity of 4; Citra's "online" is
    # twelve minutes old, so she reads as away; Dedi, offline with nothing held, is left out
    assert listed == [
        ("ani@example.go.id", "online", 2, 4),
        ("budi@example.go.id", "away", 0, 5),
        ("citra@example.go.id", "away", 0, 5),
    ]
    assert [a.name for a in umum.agents] == ["Ani", "Budi", "Citra"]
    assert rows["CEPAT"].agents_online == 1
    assert rows["KOSONG"].agents == [] and rows["KOSONG"].agents_online == 0


def test_an_offline_agent_still_holding_tickets_is_shown(session, floor):
    floor["held"].assignee.presence = "offline"  # Ani signed out with two tickets in hand
    session.flush()
    umum = by_code(board(session, floor["supervisor"]))["UMUM"]
    listed = [(a.email, a.presence, a.held) for a in umum.agents]
    assert ("ani@example.go.id", "offline", 2) in listed
    assert umum.agents_online == 0


def test_agents_see_only_their_queues(session, floor):
    assert list(by_code(board(session, floor["agent"]))) == ["CEPAT"]


def test_office_open_now_closes_at_three(session, floor, make_office):
    make_office("MKS", timezone="Asia/Makassar")
    result = board(session, floor["supervisor"])
    offices = {row.code: row for row in result.offices}
    jakarta = offices["JKT"]
    assert jakarta.is_open is True
    assert jakarta.next_change_at == datetime(2026, 12, 1, 15, 0, tzinfo=WIB)
    assert jakarta.next_change_text == "Tutup pukul 15.00 WIB"
    makassar = offices["MKS"]  # 11:00 WITA
    assert makassar.is_open is True
    assert makassar.next_change_at == datetime(2026, 12, 1, 15, 0, tzinfo=WITA)
    assert makassar.next_change_text == "Tutup pukul 15.00 WITA"
    assert result.generated_at == datetime(2026, 12, 1, 10, 0, tzinfo=WIB)


def test_office_closed_for_the_weekend_names_the_opening(session, floor, clock):
    clock.set(datetime(2026, 12, 4, 16, 0, tzinfo=WIB))  # Friday after closing
    jakarta = board(session, floor["supervisor"]).offices[0]
    assert jakarta.is_open is False
    assert jakarta.next_change_at == datetime(2026, 12, 7, 8, 0, tzinfo=WIB)
    assert jakarta.next_change_text == "Buka Senin, 7 Desember 2026 pukul 08.00 WIB"
    english = board(session, floor["supervisor"], language="en").offices[0]
    assert english.next_change_text == "Opens Monday, 7 December 2026 at 08:00 WIB"


def test_before_opening_the_same_day_reads_as_a_time(session, floor, clock):
    clock.set(datetime(2026, 12, 2, 7, 30, tzinfo=WIB))
    assert board(session, floor["supervisor"]).offices[0].next_change_text == (
        "Buka pukul 08.00 WIB"
    )


@pytest.mark.parametrize(
    ("presence", "minutes_ago", "expected"),
    [
        ("online", 0, "online"),
        ("online", 10, "online"),
        ("online", 11, "away"),
        ("away", 1, "away"),
        ("online", 16, "offline"),
        ("offline", 0, "offline"),
    ],
)
def test_effective_presence(clock, presence, minutes_ago, expected):
    at = clock.now()
    assert effective_presence(presence, at - timedelta(minutes=minutes_ago), at) == expected
    assert effective_presence(presence, None, at) == "offline"


def test_a_fixed_number_of_queries_whatever_the_size(
    session, floor, make_queue, make_ticket, make_user
):
    def count_queries() -> int:
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            board(session, floor["supervisor"])
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    session.expire_all()
    floor["supervisor"].role  # noqa: B018 - the signed-in user is loaded before the page
    before = count_queries()
    for n in range(5):  # more queues, tickets and agents
        queue = make_queue(f"LAIN{n}")
        make_user(queues=[queue]).presence = "online"
        for _ in range(3):
            make_ticket(queue=queue)
    session.flush()
    session.expire_all()
    floor["supervisor"].role  # noqa: B018
    assert count_queries() == before
    # counts, oldest, agents, offices x2, closures, overrides, the catalogue's revision, and
    # the supervisor's scope rows (issue 17: read once, whatever the number of offices)
    assert before <= 9


def test_board_runs_in_one_request_without_writes(session, floor):
    board(session, floor["supervisor"])
    assert not db.session.dirty and not db.session.new
