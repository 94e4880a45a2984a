"""The SLA beat task: a ticket past its queue's target in business time is stamped once, with
one "sla_breached" event, however many beats run at once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from pandawa.core.celery_app import BEAT_SCHEDULE
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.reports.tasks import mark_breaches, mark_sla_breaches
from pandawa.tickets.models import Ticket, TicketEvent

WIB = timezone(timedelta(hours=7))


@pytest.fixture
def ticket_at(session, make_office, make_queue, make_conversation, make_ticket, make_user):
    office = make_office("JKT")
    queue = make_queue("UMUM", sla_seconds=1800)

    def make(created_at: datetime, status: str = "waiting", **fields) -> Ticket:
        assignee = make_user(queues=[queue]) if status == "assigned" else None
        ticket = make_ticket(
            queue=queue,
            status=status,
            assignee=assignee,
            conversation=make_conversation(office=office),
        )
        ticket.created_at = created_at
        ticket.released_at = None if status == "deferred" else created_at
        for name, value in fields.items():
            setattr(ticket, name, value)
        session.flush()
        return ticket

    return make


def events(session, ticket: Ticket) -> list[TicketEvent]:
    return list(
        session.scalars(
            sa.select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "sla_breached"
            )
        )
    )


def test_just_under_and_exactly_at_the_target_is_not_breached(session, ticket_at, clock):
    under = ticket_at(datetime(2026, 12, 1, 9, 30, 1, tzinfo=WIB))  # 29:59 at 10:00
    exactly = ticket_at(datetime(2026, 12, 1, 9, 30, tzinfo=WIB))  # 30:00: met, not passed
    assert mark_breaches(session, now()) == 0
    assert under.sla_breached_at is None and exactly.sla_breached_at is None
    assert events(session, under) == [] and events(session, exactly) == []


def test_past_the_target_is_stamped_with_one_event(session, ticket_at, clock):
    late = ticket_at(datetime(2026, 12, 1, 9, 29, 59, tzinfo=WIB))
    assert mark_breaches(session, now()) == 1
    session.refresh(late)
    assert late.sla_breached_at == datetime(2026, 12, 1, 10, 0, tzinfo=WIB)
    (event,) = events(session, late)
    assert event.actor_id is None
    assert event.created_at == datetime(2026, 12, 1, 10, 0, tzinfo=WIB)
    assert event.data == {"waited_business_seconds": 1801, "sla_seconds": 1800}


def test_business_time_a_weekend_does_not_count(session, ticket_at, clock):
    # Friday 14:50 with a 30-minute target: 10 open minutes on Friday, then the weekend
    friday = ticket_at(datetime(2026, 12, 4, 14, 50, tzinfo=WIB))
    clock.set(datetime(2026, 12, 5, 12, 0, tzinfo=WIB))  # Saturday noon: 21 hours later
    assert mark_breaches(session, now()) == 0
    clock.set(datetime(2026, 12, 7, 8, 20, tzinfo=WIB))  # Monday 08:20: exactly 30 minutes
    assert mark_breaches(session, now()) == 0
    clock.set(datetime(2026, 12, 7, 8, 21, tzinfo=WIB))  # 31 minutes
    assert mark_breaches(session, now()) == 1
    session.refresh(friday)
    assert friday.sla_breached_at == datetime(2026, 12, 7, 8, 21, tzinfo=WIB)
    assert events(session, friday)[0].data["waited_business_seconds"] == 31 * 60


def test_running_the_task_twice_writes_one_event(session, ticket_at, clock):
    late = ticket_at(datetime(2026, 12, 1, 9, 0, tzinfo=WIB))
    assert mark_sla_breaches() == 1
    clock.advance(minutes=1)
    assert mark_sla_breaches() == 0
    assert len(events(session, late)) == 1
    session.refresh(late)
    assert late.sla_breached_at == datetime(2026, 12, 1, 10, 0, tzinfo=WIB)  # the first stamp


def test_which_tickets_count(session, ticket_at, clock):
    long_ago = datetime(2026, 12, 1, 8, 0, tzinfo=WIB)  # two business hours ago
    held_unanswered = ticket_at(long_ago, "assigned")
    answered = ticket_at(
        long_ago,
        "assigned",
        first_response_at=long_ago + timedelta(minutes=5),
        wait_seconds=300,
        wait_business_seconds=300,
    )
    deferred = ticket_at(long_ago, "deferred")
    resolved = ticket_at(long_ago, "resolved", resolved_at=long_ago + timedelta(minutes=1))
    waiting = ticket_at(long_ago)
    assert mark_breaches(session, now()) == 2
    stamped = {
        t.id for t in session.scalars(sa.select(Ticket).where(Ticket.sla_breached_at.is_not(None)))
    }
    assert stamped == {held_unanswered.id, waiting.id}
    assert not {answered.id, deferred.id, resolved.id} & stamped


def test_the_task_is_scheduled_every_minute():
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "dashboard.mark_sla_breaches")
    assert entry["schedule"] == timedelta(seconds=60)


def test_two_beats_at_once_stamp_a_ticket_once(app, live_db, clock, make_queue, make_ticket):
    """The first beat has stamped but not committed when the second one runs: the second
    waits on the row, re-checks after the commit and stamps nothing."""
    with app.app_context():
        ticket_id = _seed_committed(make_queue, make_ticket)
        first = db.session
        assert mark_breaches(first, now()) == 1  # stamped, not committed: the row is locked
        result: dict[str, int] = {}

        def second_beat() -> None:
            with app.app_context():
                try:
                    result["count"] = mark_breaches(db.session, now())
                    db.session.commit()
                finally:
                    db.session.remove()

        thread = threading.Thread(target=second_beat)
        thread.start()
        thread.join(timeout=0.5)  # it blocks on the locked row (or ends: either is fine)
        first.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert result["count"] == 0
        total = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "sla_breached")
        )
        assert total == 1
        db.session.remove()


def _seed_committed(make_queue, make_ticket) -> int:
    """One late ticket, committed (outside the per-test transaction)."""
    ticket = make_ticket(queue=make_queue("UMUM", sla_seconds=1800))
    ticket.created_at = ticket.released_at = ticket.updated_at = now() - timedelta(hours=1)
    db.session.commit()
    return ticket.id
