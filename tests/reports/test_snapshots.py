"""Figures snapshots: the stored page equals the computed one, and it is reused while fresh."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.reports import snapshots
from pandawa.reports.models import FiguresSnapshot
from pandawa.reports.scope import scope_from_args
from pandawa.tickets import operations


@pytest.fixture
def supervisor(make_user):
    return make_user("penyelia.snap@example.go.id", role="supervisor")


@pytest.fixture
def answered(session, make_queue, make_user, make_ticket, clock):
    """Two tickets in one queue, answered after 10 and 40 minutes, one resolved and rated."""
    queue = make_queue("SNAP")
    agent = make_user("agen.snap@example.go.id", queues=[queue])
    tickets = []
    for minutes in (10, 40):
        ticket = make_ticket(queue=queue)
        clock.advance(minutes=minutes)
        ticket.status, ticket.assignee_id = "assigned", agent.id
        operations._record_first_response(session, ticket, snapshots.now())
        tickets.append(ticket)
    tickets[0].status, tickets[0].resolved_at, tickets[0].satisfaction = (
        "resolved",
        snapshots.now(),
        5,
    )
    session.flush()
    return queue, tickets


def test_a_stored_page_reads_back_equal_to_the_computed_one(session, supervisor, answered):
    scope = scope_from_args(session, supervisor, {})
    computed = snapshots.compute(session, snapshots.AllQueues(), scope)
    snapshots.store(session, snapshots.snapshot_key(scope), computed)
    session.flush()
    row = session.get(FiguresSnapshot, snapshots.snapshot_key(scope))
    assert snapshots.decode(row.payload) == computed
    [snap] = [f for f in computed.by_queue if f.key == "SNAP"]
    assert (snap.created, snap.responded, snap.resolved) == (2, 2, 1)
    assert snap.wait_calendar_p50 == 25 * 60.0  # (10 + 40) / 2 minutes
    assert snap.satisfaction_avg == 5.0


def test_a_fresh_snapshot_is_reused_and_a_stale_one_recomputed(
    session, supervisor, answered, make_ticket, clock
):
    queue, _tickets = answered
    scope = scope_from_args(session, supervisor, {})
    first = snapshots.page_figures(session, supervisor, scope)
    make_ticket(queue=queue)  # a third ticket, after the snapshot
    clock.advance(minutes=1)
    again = snapshots.page_figures(session, supervisor, scope)
    assert again == first  # the snapshot, not a new count
    clock.advance(minutes=5)
    later = snapshots.page_figures(session, supervisor, scope)
    [snap] = [f for f in later.by_queue if f.key == "SNAP"]
    assert snap.created == 3
    assert later.computed_at > first.computed_at


def test_agents_never_read_the_shared_snapshot(session, supervisor, answered, make_user):
    other = make_user("agen.lain@example.go.id", queues=[])
    scope = scope_from_args(session, supervisor, {})
    snapshots.page_figures(session, supervisor, scope)
    mine = snapshots.page_figures(session, other, scope_from_args(session, other, {}))
    assert all(f.key != "SNAP" for f in mine.by_queue)
    assert mine.total[0].created == 0


def test_the_beat_refreshes_the_standard_ranges(session, answered):
    """Today, the last 7 and the last 30 local days (Tuesday 1 December 2026, WIB), for all
    offices and for each office: the two tickets were opened in two offices."""
    _queue, tickets = answered
    first, second = (t.office.code for t in tickets)

    count = snapshots.refresh_standard(session)
    session.flush()

    created = {
        key: [f.created for f in snapshots.decode(payload).total]
        for key, payload in session.execute(sa.select(FiguresSnapshot.key, FiguresSnapshot.payload))
    }
    expected = {}
    for since in ("2026-12-01", "2026-11-25", "2026-11-02"):
        expected[f"figures?from={since}&to=2026-12-01&tz=Asia/Jakarta"] = [2]
        for office in (first, second):
            expected[f"figures?from={since}&office={office}&to=2026-12-01&tz=Asia/Jakarta"] = [1]
    assert created == expected
    assert count == 9


def test_a_range_in_the_past_stays_fresh_longer(session, supervisor, answered, clock):
    scope = scope_from_args(session, supervisor, {"from": "2026-11-01", "to": "2026-11-07"})
    first = snapshots.page_figures(session, supervisor, scope)
    clock.advance(minutes=30)
    assert snapshots.page_figures(session, supervisor, scope).computed_at == first.computed_at
    clock.advance(hours=1)
    assert snapshots.page_figures(session, supervisor, scope).computed_at > first.computed_at


def test_a_transfer_outdates_the_kept_ranges_that_hold_the_ticket(
    session, supervisor, answered, make_queue, clock
):
    """The page, figures.csv and the stats API read the kept range: after a transfer they must
    show the ticket in its new queue at once, so a range holding its day is computed again;
    a range of other days is still read from its row."""
    _, tickets = answered
    other = make_queue("SNAP2")
    today = scope_from_args(session, supervisor, {})  # the 30 days ending today
    before = scope_from_args(session, supervisor, {"from": "2026-11-01", "to": "2026-11-02"})
    kept = {s: snapshots.page_figures(session, supervisor, s).computed_at for s in (today, before)}
    rows = {f.key: f.created for f in snapshots.page_figures(session, supervisor, today).by_queue}
    assert (rows["SNAP"], rows["SNAP2"]) == (2, 0)

    clock.advance(minutes=1)
    tickets[1].status, tickets[1].assignee_id = "waiting", None
    operations.transfer(session, tickets[1], supervisor, other.code)
    session.flush()
    clock.advance(minutes=1)

    page = snapshots.page_figures(session, supervisor, today)
    rows = {f.key: f.created for f in page.by_queue}
    assert (rows["SNAP"], rows["SNAP2"]) == (1, 1)
    assert page.computed_at > kept[today]  # computed again, and kept
    assert snapshots.page_figures(session, supervisor, today).computed_at == page.computed_at
    assert snapshots.page_figures(session, supervisor, before).computed_at == kept[before]
