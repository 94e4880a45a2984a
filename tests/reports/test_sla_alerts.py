"""SLA alerts (issue 17): a ticket crossing 80 % and 100 % of its queue's first-response and
resolution targets, in business time, gets one alert row per kind and level however many beats
run; the board's list shows the highest level until acknowledged (audited); SP4N-LAPOR
templates count working days on the office calendar; the figures' history counts per queue."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from pandawa.audit.models import AuditEvent
from pandawa.core.celery_app import BEAT_SCHEDULE
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.reports.models import SlaAlert
from pandawa.reports.sla_alerts import (
    _candidates,
    acknowledge,
    active_alerts,
    alert_counts,
    alert_history,
    record_alerts,
)
from pandawa.reports.tasks import record_sla_alerts
from pandawa.tickets.models import Ticket

WIB = timezone(timedelta(hours=7))
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=WIB)


@pytest.fixture
def office(make_office):
    return make_office("JKT")


@pytest.fixture
def queue(make_queue):
    return make_queue("UMUM", sla_seconds=1800)  # 30 minutes to the first response


@pytest.fixture
def ticket_at(session, office, queue, make_conversation, make_ticket, make_user):
    def make(created_at: datetime, status: str = "waiting", *, in_queue=None, **fields) -> Ticket:
        target = in_queue or queue
        assignee = make_user(queues=[target]) if status == "assigned" else None
        ticket = make_ticket(
            queue=target,
            status=status,
            assignee=assignee,
            conversation=make_conversation(office=office),
        )
        ticket.created_at = ticket.released_at = created_at
        for name, value in fields.items():
            setattr(ticket, name, value)
        session.flush()
        return ticket

    return make


def alerts_of(session, ticket: Ticket) -> set[tuple[str, int]]:
    rows = session.execute(
        sa.select(SlaAlert.kind, SlaAlert.level).where(SlaAlert.ticket_id == ticket.id)
    )
    return {tuple(row) for row in rows}


def test_80_and_100_percent_of_the_first_response_target(session, ticket_at, clock):
    ticket = ticket_at(TUESDAY_10 - timedelta(minutes=23, seconds=59))  # 79.9 %
    assert record_alerts(session, now()) == []
    clock.advance(seconds=1)  # 24 minutes: 80 % of 30
    assert len(record_alerts(session, now())) == 1
    assert alerts_of(session, ticket) == {("first_response", 80)}
    clock.advance(minutes=6)  # 30 minutes: the target reached
    assert len(record_alerts(session, now())) == 1
    assert alerts_of(session, ticket) == {("first_response", 80), ("first_response", 100)}
    alert = session.scalar(sa.select(SlaAlert).where(SlaAlert.level == 100))
    assert (alert.queue_id, alert.office_id) == (ticket.queue_id, ticket.office_id)
    assert alert.target_seconds == 1800 and alert.waited_seconds == 1800
    assert alert.crossed_at == TUESDAY_10 + timedelta(minutes=6, seconds=1)
    assert record_alerts(session, now()) == []  # nothing twice


def test_business_time_the_night_does_not_count(session, ticket_at, clock):
    # 14:50: ten open minutes before closing, then the night; 80 % (24 min) at 08:14 next day
    ticket = ticket_at(datetime(2026, 12, 1, 14, 50, tzinfo=WIB))
    clock.set(datetime(2026, 12, 2, 8, 13, tzinfo=WIB))
    assert record_alerts(session, now()) == []
    clock.set(datetime(2026, 12, 2, 8, 14, tzinfo=WIB))
    assert len(record_alerts(session, now())) == 1
    assert alerts_of(session, ticket) == {("first_response", 80)}


def test_answered_tickets_get_resolution_alerts_only(session, queue, ticket_at, clock):
    queue.resolution_seconds = 2 * 3600
    start = TUESDAY_10 - timedelta(hours=2)
    answered = ticket_at(start, "assigned", first_response_at=start + timedelta(minutes=5))
    unanswered = ticket_at(start, "assigned")
    resolved = ticket_at(start, "resolved", resolved_at=start + timedelta(minutes=50))
    deferred = ticket_at(start, "deferred")
    record_alerts(session, now())
    assert alerts_of(session, answered) == {("resolution", 80), ("resolution", 100)}
    assert alerts_of(session, unanswered) == {
        ("first_response", 80),
        ("first_response", 100),
        ("resolution", 80),
        ("resolution", 100),
    }
    assert alerts_of(session, resolved) == alerts_of(session, deferred) == set()


def test_the_task_runs_every_minute_and_twice_writes_once(session, ticket_at, clock):
    entry = BEAT_SCHEDULE["record-sla-alerts"]
    assert entry["task"] == "dashboard.record_sla_alerts"
    assert entry["schedule"] == timedelta(seconds=60)
    ticket = ticket_at(TUESDAY_10 - timedelta(hours=1))
    assert record_sla_alerts() == 2
    assert record_sla_alerts() == 0
    assert alerts_of(session, ticket) == {("first_response", 80), ("first_response", 100)}


def test_the_database_refuses_a_second_row_for_one_level(session, ticket_at):
    ticket = ticket_at(TUESDAY_10 - timedelta(hours=1))
    record_alerts(session, now())
    row = {"queue_id": ticket.queue_id, "office_id": ticket.office_id, "crossed_at": now()}
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            SlaAlert(
                ticket_id=ticket.id,
                kind="first_response",
                level=80,
                target_seconds=1,
                waited_seconds=1,
                **row,
            )
        )
        session.flush()


def test_two_beats_at_once_write_each_alert_once(app, live_db, clock, make_queue, make_ticket):
    """The first beat inserted but has not committed: the second waits on the unique key and,
    after the commit, inserts nothing."""
    with app.app_context():
        ticket = make_ticket(queue=make_queue("UMUM", sla_seconds=1800))
        ticket.created_at = ticket.released_at = now() - timedelta(hours=1)
        db.session.commit()
        ticket_id = ticket.id
        first = db.session
        assert len(record_alerts(first, now())) == 2
        result: dict[str, int] = {}

        def second_beat() -> None:
            with app.app_context():
                try:
                    result["count"] = len(record_alerts(db.session, now()))
                    db.session.commit()
                finally:
                    db.session.remove()

        thread = threading.Thread(target=second_beat)
        thread.start()
        thread.join(timeout=0.5)
        first.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert result["count"] == 0
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(SlaAlert).where(SlaAlert.ticket_id == ticket_id)
        )
        assert total == 2
        db.session.remove()


# -- the board's list and acknowledging ---------------------------------------------------
def test_the_board_lists_the_highest_level_until_acknowledged(session, ticket_at, clock, make_user):
    supervisor = make_user("sri@example.go.id", role="supervisor")
    ticket = ticket_at(TUESDAY_10 - timedelta(minutes=25))
    record_alerts(session, now())
    (row,) = active_alerts(session, supervisor, now())
    assert (row.number, row.queue_code, row.kind, row.level) == (
        ticket.number,
        "UMUM",
        "first_response",
        80,
    )
    assert row.waited_seconds == 25 * 60 and row.target_seconds == 1800

    assert acknowledge(session, row.id, supervisor, now(), address="10.0.0.9") is not None
    assert active_alerts(session, supervisor, now()) == []
    audit = session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "sla_alert_acknowledged")
    )
    assert audit.actor_id == supervisor.id and audit.ticket_number == ticket.number
    assert audit.details == {"alert_id": row.id, "kind": "first_response", "level": 80}

    clock.advance(minutes=5)  # 30 minutes: the 100 % alert is new and shows again
    record_alerts(session, now())
    (again,) = active_alerts(session, supervisor, now())
    assert again.level == 100 and again.id != row.id

    ticket.first_response_at = now()  # answered: the first-response alert is over
    session.flush()
    assert active_alerts(session, supervisor, now()) == []


def test_an_agent_sees_no_alerts_of_other_queues(session, ticket_at, make_queue, make_user, clock):
    other = make_queue("LAIN")
    agent = make_user(queues=[other])
    ticket_at(TUESDAY_10 - timedelta(hours=1))
    record_alerts(session, now())
    assert active_alerts(session, agent, now()) == []
    hidden = session.scalar(sa.select(SlaAlert.id).limit(1))
    assert acknowledge(session, hidden, agent, now()) is None


def test_history_counts_per_queue_and_lists_them(session, ticket_at, make_user, clock):
    supervisor = make_user(role="supervisor")
    late = ticket_at(TUESDAY_10 - timedelta(hours=1))
    near = ticket_at(TUESDAY_10 - timedelta(minutes=25))
    record_alerts(session, now())
    day = (TUESDAY_10 - timedelta(hours=10), TUESDAY_10 + timedelta(hours=10))
    (count,) = alert_counts(session, supervisor, *day)
    assert (count.queue_code, count.level_80, count.level_100) == ("UMUM", 2, 1)
    listed = alert_history(session, supervisor, *day, queue_code="UMUM", level=100)
    assert [r.number for r in listed] == [late.number]
    assert {r.number for r in alert_history(session, supervisor, *day, level=80)} == {
        late.number,
        near.number,
    }
    before = (day[0] - timedelta(days=2), day[0] - timedelta(days=1))
    assert alert_counts(session, supervisor, *before) == []


# -- SP4N-LAPOR templates ------------------------------------------------------------------
def test_sp4n_lapor_counts_working_days_and_escalates(session, queue, ticket_at, clock):
    queue.sla_template = "sp4n-lapor-5"
    # Friday 14:00: first response within 3 working days = Wednesday 15:00; the target is the
    # open time until then: 1 h Friday + 7 h Monday, Tuesday, Wednesday = 22 h; 80 % = 17.6 h,
    # reached on Wednesday at 10:36
    ticket = ticket_at(datetime(2026, 12, 4, 14, 0, tzinfo=WIB))
    clock.set(datetime(2026, 12, 9, 10, 35, tzinfo=WIB))
    assert record_alerts(session, now()) == []
    clock.set(datetime(2026, 12, 9, 10, 36, tzinfo=WIB))
    record_alerts(session, now())
    assert alerts_of(session, ticket) == {("first_response", 80)}
    clock.set(datetime(2026, 12, 9, 15, 0, tzinfo=WIB))
    record_alerts(session, now())
    assert ("first_response", 100) in alerts_of(session, ticket)
    alert = session.scalar(sa.select(SlaAlert).where(SlaAlert.level == 100))
    assert alert.target_seconds == 22 * 3600
    # resolution within 5 working days: Friday 11 December 15:00 (1 h + 5 × 7 h = 36 h)
    clock.set(datetime(2026, 12, 11, 15, 0, tzinfo=WIB))
    record_alerts(session, now())
    resolution = session.scalar(
        sa.select(SlaAlert).where(SlaAlert.kind == "resolution", SlaAlert.level == 100)
    )
    assert resolution.target_seconds == 36 * 3600


def test_answered_tickets_of_a_first_response_only_queue_are_not_looked_at(
    session, queue, ticket_at
):
    start = TUESDAY_10 - timedelta(hours=2)
    ticket_at(start, "assigned", first_response_at=start + timedelta(minutes=5))
    waiting = ticket_at(start)
    stmt = _candidates(session, {queue.id: queue}, now())
    assert [row.id for row in session.execute(stmt)] == [waiting.id]
    record_alerts(session, now())  # both levels recorded: nothing left to look at
    assert session.execute(_candidates(session, {queue.id: queue}, now())).all() == []
