"""The two paths of `pandawa.reports.figures.figures` — PostgreSQL's percentile_cont and the
Python aggregation SQLite uses — give the same figure for any tickets: counts, waits, SLA,
handle and resolution times, ratings, reopenings (a property test on PostgreSQL, where both
can run on the same rows)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.reports import figures as fig
from pandawa.reports.scope import scope_for_days
from pandawa.tickets.models import TicketEvent

TICKET = st.tuples(
    st.booleans(),  # first queue or second
    st.sampled_from(["waiting", "assigned", "resolved", "resolved", "cancelled", "deferred"]),
    # business wait (the targets' edges often), or unanswered
    st.one_of(
        st.none(),
        st.sampled_from([0, 599, 600, 601, 1799, 1800, 1801]),
        st.integers(min_value=0, max_value=30_000),
    ),
    st.sampled_from([0, 0, 3600, 250_000]),  # calendar time on top (a night, a weekend)
    st.integers(min_value=0, max_value=90_000),  # first reply to resolution
    st.one_of(st.none(), st.integers(min_value=1, max_value=5)),  # rating
    st.booleans(),  # stamped past the target (when unanswered)
    st.integers(min_value=0, max_value=2),  # transfers
    st.booleans(),  # reopened once
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tickets=st.lists(TICKET, min_size=0, max_size=14))
def test_sql_and_python_paths_agree(session, make_queue, make_user, make_ticket, tickets):
    savepoint = db.session.begin_nested()
    try:
        first, second = make_queue(sla_seconds=1800), make_queue(sla_seconds=600)
        agent = make_user(queues=[first, second])
        boss = make_user(role="supervisor")
        for mine, status, wait, closed, handle, rating, breached, moves, reopened in tickets:
            holder = agent if status in ("assigned", "resolved") else None
            ticket = make_ticket(queue=first if mine else second, status=status, assignee=holder)
            created = ticket.created_at
            if wait is not None and status != "deferred":
                ticket.first_response_at = created + timedelta(seconds=wait + closed)
                ticket.wait_seconds = wait + closed
                ticket.wait_business_seconds = wait
            elif breached and status != "deferred":
                ticket.sla_breached_at = created + timedelta(hours=1)
            if status == "resolved":
                start = ticket.first_response_at or created
                ticket.resolved_at = start + timedelta(seconds=handle)
                ticket.satisfaction = rating
            ticket.transfer_count = moves
            if reopened:
                db.session.add(
                    TicketEvent(ticket_id=ticket.id, kind="reopened", data={}, created_at=now())
                )
        db.session.flush()
        scope = scope_for_days(date(2026, 12, 1), date(2026, 12, 1), "Asia/Jakarta")
        for by in ("queue", "agent", "all"):
            sql = [asdict(r) for r in fig.figures(session, boss, scope, by, method="sql")]
            python = [asdict(r) for r in fig.figures(session, boss, scope, by, method="python")]
            assert sql == python, by
    finally:
        savepoint.rollback()
