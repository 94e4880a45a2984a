"""Emergency closure, extra opening and undo (issue 17) on the database with the clock set: what
happens to waiting and deferred tickets, what each citizen reads (ID and EN), what release at
opening does, and the audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.hours.queries import calendar_for
from pandawa.provisioning.operations import load_default
from pandawa.tickets import closure
from pandawa.tickets.models import TicketEvent
from pandawa.tickets.release import release_due

WIB = timezone(timedelta(hours=7))
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=WIB)
TUESDAY_13 = datetime(2026, 12, 1, 13, 0, tzinfo=WIB)
WEDNESDAY_08 = datetime(2026, 12, 2, 8, 0, tzinfo=WIB)


def _told(session, outcome):
    """What the named task does after the page's commit: tell the citizens."""
    if outcome is not None and outcome.notices:
        closure.tell_citizens(session, outcome.override.id, outcome.action, "", outcome.notices)
    return outcome


def _close_now(session, *args, **kwargs):
    return _told(session, closure.close_now(session, *args, **kwargs))


def _open_extra(session, *args, **kwargs):
    return _told(session, closure.open_extra(session, *args, **kwargs))


def _undo(session, *args, **kwargs):
    return _told(session, closure.undo(session, *args, **kwargs))


def _outbound(session, ticket) -> list[str]:
    return list(
        session.scalars(
            sa.select(Message.body)
            .where(Message.ticket_id == ticket.id, Message.direction == "out")
            .order_by(Message.id)
        )
    )


@pytest.fixture
def office_with(session, clock, make_office, make_queue, make_conversation, make_ticket, make_user):
    """An office on Tuesday 10:00 WIB with tickets of the given statuses (one queue), and a
    supervisor; returns (office, queue, supervisor, tickets)."""

    def make(*statuses: str, language: str = "id"):
        load_default(session)
        clock.set(TUESDAY_10)
        office = make_office()
        queue = make_queue()
        supervisor = make_user(role="supervisor")
        tickets = []
        for status in statuses:
            conversation = make_conversation(office=office)
            conversation.contact.language = language
            assignee = make_user(queues=[queue]) if status == "assigned" else None
            tickets.append(
                make_ticket(
                    queue=queue, status=status, conversation=conversation, assignee=assignee
                )
            )
        session.flush()
        return office, queue, supervisor, tickets

    return make


def test_closing_defers_waiting_tickets_and_tells_each_citizen_the_new_time(
    session, clock, office_with
):
    office, _queue, supervisor, (waiting, assigned) = office_with("waiting", "assigned")
    outcome = _close_now(
        session, office, until=TUESDAY_13, at=TUESDAY_10, actor=supervisor, reason="Banjir"
    )
    assert (outcome.deferred, outcome.told) == (1, 1)
    assert waiting.status == "deferred" and waiting.released_at is not None
    assert assigned.status == "assigned"  # the agent keeps what is under way
    assert _outbound(session, waiting) == [
        "Mohon maaf, layanan petugas kami ditutup sementara karena keadaan darurat. Tiket "
        f"*{waiting.number}* Bapak/Ibu tetap tersimpan dan akan dilayani mulai *Selasa, 1 "
        "Desember 2026 pukul 13.00 WIB*. Sementara itu Bapak/Ibu tetap dapat menggunakan menu "
        "informasi."
    ]
    assert _outbound(session, assigned) == []
    event = session.scalar(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == waiting.id, TicketEvent.kind == "deferred"
        )
    )
    assert event.data["override_id"] == outcome.override.id and event.actor_id == supervisor.id
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "office_closed"))
    assert audit.actor_id == supervisor.id
    assert audit.details["office"] == office.code and audit.details["reason"] == "Banjir"
    assert audit.details["ends_at"] == TUESDAY_13.astimezone(UTC).isoformat()


def test_the_closure_text_in_english(session, office_with):
    office, _queue, supervisor, (waiting,) = office_with("waiting", language="en")
    _close_now(
        session, office, until=TUESDAY_13, at=TUESDAY_10, actor=supervisor, reason="Listrik padam"
    )
    assert _outbound(session, waiting) == [
        "We are sorry, our officers' service is temporarily closed due to an emergency. Your "
        f"ticket *{waiting.number}* is kept and will be handled from *Tuesday, 1 December 2026 "
        "at 13:00 WIB*. Meanwhile you can still use the information menu."
    ]


def test_deferred_citizens_are_told_only_when_their_time_changed(
    session, clock, office_with, make_conversation, make_ticket
):
    office, queue, supervisor, _ = office_with()
    clock.set(datetime(2026, 11, 30, 20, 0, tzinfo=WIB))  # Monday evening: deferred to Tuesday
    deferred = make_ticket(
        queue=queue, status="deferred", conversation=make_conversation(office=office)
    )
    clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=WIB))
    # a closure this morning until 07:30 does not move their 08:00: nothing said
    quiet = _close_now(
        session,
        office,
        until=datetime(2026, 12, 1, 7, 30, tzinfo=WIB),
        at=clock.now(),
        actor=supervisor,
        reason="Pemeliharaan",
    )
    assert quiet.told == 0 and _outbound(session, deferred) == []
    # closed until 13:00: their time moved, so they hear it
    _close_now(session, office, until=TUESDAY_13, at=clock.now(), actor=supervisor, reason="Banjir")
    [told] = _outbound(session, deferred)
    assert "Selasa, 1 Desember 2026 pukul 13.00 WIB" in told


def test_release_obeys_the_closure_and_undo_restores_the_calendar(session, clock, office_with):
    office, _queue, supervisor, (waiting,) = office_with("waiting")
    clock.set(datetime(2026, 12, 1, 14, 0, tzinfo=WIB))
    # closed from 14:00 through Wednesday's hours
    outcome = _close_now(
        session,
        office,
        until=datetime(2026, 12, 2, 15, 0, tzinfo=WIB),
        at=clock.now(),
        actor=supervisor,
        reason="Gangguan sistem",
    )
    assert "Kamis, 3 Desember 2026 pukul 08.00 WIB" in _outbound(session, waiting)[0]
    assert not calendar_for(session, office).is_open(WEDNESDAY_08)
    # Wednesday 08:00, the usual opening: nothing is released
    clock.set(WEDNESDAY_08)
    assert release_due(session, WEDNESDAY_08) == 0
    assert waiting.status == "deferred"
    # undo at 09:00: the office is open again, release lets the ticket go at its old place
    clock.set(WEDNESDAY_08 + timedelta(hours=1))
    undone = _undo(session, outcome.override, at=clock.now(), actor=supervisor)
    assert undone is not None and undone.told == 0  # release tells them in a moment
    assert calendar_for(session, office).is_open(clock.now())
    assert release_due(session, clock.now()) == 1
    session.expire_all()
    assert waiting.status == "waiting"
    assert waiting.released_at == TUESDAY_10  # its place in the queue, not the back of it
    assert "petugas kami akan segera membalas" in _outbound(session, waiting)[-1]
    assert outcome.override.revoked_by_id == supervisor.id  # the row stays as the record
    assert _undo(session, outcome.override, at=clock.now(), actor=supervisor) is None
    actions = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["office_closed", "office_override_undone"]


def test_undo_after_hours_tells_the_earlier_time(session, clock, office_with):
    office, _queue, supervisor, (waiting,) = office_with("waiting")
    outcome = _close_now(
        session,
        office,
        until=datetime(2026, 12, 3, 15, 0, tzinfo=WIB),  # through Thursday
        at=TUESDAY_10,
        actor=supervisor,
        reason="Banjir",
    )
    clock.set(datetime(2026, 12, 1, 19, 0, tzinfo=WIB))  # undone on Tuesday evening
    undone = _undo(session, outcome.override, at=clock.now(), actor=supervisor)
    assert undone.told == 1
    # (the closure's message, still unsent, carries the correction after it)
    assert _outbound(session, waiting)[-1].endswith(
        "Penutupan sementara layanan petugas kami dibatalkan. Tiket "
        f"*{waiting.number}* Bapak/Ibu akan dilayani mulai *Rabu, 2 Desember 2026 pukul 08.00 "
        "WIB*."
    )


def test_a_closed_queue_keeps_its_tickets_while_the_office_opens(
    session, clock, office_with, make_queue, make_conversation, make_ticket
):
    office, queue, supervisor, (closed_one,) = office_with("waiting")
    other = make_ticket(
        queue=make_queue(), status="waiting", conversation=make_conversation(office=office)
    )
    outcome = _close_now(
        session,
        office,
        until=TUESDAY_13,
        at=TUESDAY_10,
        actor=supervisor,
        reason="Petugas pelatihan",
        queue=queue,
    )
    assert outcome.deferred == 1 and closed_one.status == "deferred"
    assert other.status == "waiting" and _outbound(session, other) == []
    assert calendar_for(session, office).is_open(TUESDAY_10 + timedelta(hours=1))
    assert not calendar_for(session, office, queue_id=queue.id).is_open(TUESDAY_10)
    # the office is open at 11:00, the queue is not: nothing released; at 13:00 it is
    assert release_due(session, TUESDAY_10 + timedelta(hours=1)) == 0
    assert release_due(session, TUESDAY_13) == 1
    assert closed_one.status == "waiting"
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "office_closed"))
    assert audit.details["queue"] == queue.code


def test_a_handoff_during_the_closure_is_deferred_to_the_new_time(
    session, clock, office_with, make_conversation
):
    from pandawa.catalog.queries import active_catalog
    from pandawa.tickets.intake import hand_off

    office, queue, supervisor, _ = office_with()
    _close_now(session, office, until=TUESDAY_13, at=TUESDAY_10, actor=supervisor, reason="Banjir")
    conversation = make_conversation(office=office)
    handoff = hand_off(
        session, active_catalog(), conversation, conversation.contact, queue, details={}
    )
    assert handoff.ticket.status == "deferred"
    assert "Selasa, 1 Desember 2026 pukul 13.00 WIB" in handoff.replies[-1]


def test_extra_opening_releases_at_its_start_and_tells_the_earlier_time(
    session, clock, office_with, make_conversation, make_ticket
):
    office, queue, supervisor, _ = office_with()
    saturday_07 = datetime(2026, 12, 5, 7, 0, tzinfo=WIB)
    clock.set(datetime(2026, 12, 4, 18, 0, tzinfo=WIB))  # Friday evening: deferred to Monday
    deferred = make_ticket(
        queue=queue, status="deferred", conversation=make_conversation(office=office)
    )
    conversation = session.get(Conversation, deferred.conversation_id)
    conversation.contact.language = "en"
    outcome = _open_extra(
        session,
        office,
        starts_at=datetime(2026, 12, 5, 8, 0, tzinfo=WIB),
        ends_at=datetime(2026, 12, 5, 12, 0, tzinfo=WIB),
        at=clock.now(),
        actor=supervisor,
        reason="Hari layanan tambahan",
    )
    assert outcome.told == 1
    assert _outbound(session, deferred) == [
        "We are opening extra service hours. Your ticket "
        f"*{deferred.number}* will be handled earlier, from *Saturday, 5 December 2026 at "
        "08:00 WIB*."
    ]
    assert release_due(session, saturday_07) == 0
    clock.set(saturday_07 + timedelta(hours=1))
    assert release_due(session, clock.now()) == 1
    assert deferred.status == "waiting"
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "office_opened"))
    assert audit.details["kind"] == "open" and audit.details["reason"] == "Hari layanan tambahan"


def test_an_opted_out_citizen_is_not_told(session, clock, office_with):
    office, _queue, supervisor, (waiting,) = office_with("waiting")
    conversation = session.get(Conversation, waiting.conversation_id)
    conversation.contact.opted_out_at = clock.now()
    outcome = _close_now(
        session, office, until=TUESDAY_13, at=TUESDAY_10, actor=supervisor, reason="Banjir"
    )
    assert waiting.status == "deferred"
    assert _outbound(session, waiting) == []
    assert outcome.deferred == 1


def test_past_the_window_only_the_approved_template_goes(session, clock, office_with):
    office, _queue, supervisor, (waiting,) = office_with("waiting")
    conversation = session.get(Conversation, waiting.conversation_id)
    conversation.last_inbound_at = TUESDAY_10 - timedelta(days=2)
    _close_now(session, office, until=TUESDAY_13, at=TUESDAY_10, actor=supervisor, reason="Banjir")
    [message] = session.scalars(
        sa.select(Message).where(Message.ticket_id == waiting.id, Message.direction == "out")
    ).all()
    assert message.content_sid  # the catalogue's window_reopen template, no free text


def test_a_closure_must_end_after_it_starts(session, office_with):
    office, _queue, supervisor, _ = office_with()
    with pytest.raises(closure.ClosureError):
        _close_now(session, office, until=TUESDAY_10, at=TUESDAY_10, actor=supervisor, reason="x")


def test_default_end_is_the_end_of_todays_hours_or_of_the_next_opening(session, office_with):
    office, *_ = office_with()
    calendar = calendar_for(session, office)
    assert closure.default_closure_end(calendar, TUESDAY_10) == datetime(
        2026, 12, 1, 15, 0, tzinfo=WIB
    )
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=WIB)
    assert closure.default_closure_end(calendar, saturday) == datetime(
        2026, 12, 7, 15, 0, tzinfo=WIB
    )


def test_undoing_extra_hours_while_they_run_defers_again_and_says_so(
    session, clock, office_with, make_conversation, make_ticket
):
    office, queue, supervisor, _ = office_with()
    clock.set(datetime(2026, 12, 5, 7, 0, tzinfo=WIB))  # Saturday morning
    deferred = make_ticket(
        queue=queue, status="deferred", conversation=make_conversation(office=office)
    )
    outcome = _open_extra(
        session,
        office,
        starts_at=datetime(2026, 12, 5, 8, 0, tzinfo=WIB),
        ends_at=datetime(2026, 12, 5, 12, 0, tzinfo=WIB),
        at=clock.now(),
        actor=supervisor,
        reason="Hari layanan tambahan",
    )
    clock.set(datetime(2026, 12, 5, 8, 0, tzinfo=WIB))
    assert release_due(session, clock.now()) == 1 and deferred.status == "waiting"
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=WIB))  # no officers came: undone
    undone = _undo(session, outcome.override, at=clock.now(), actor=supervisor)
    assert (undone.deferred, undone.told) == (1, 1)
    assert deferred.status == "deferred"
    assert _outbound(session, deferred)[-1].endswith(
        "akan dilayani mulai *Senin, 7 Desember 2026 pukul 08.00 WIB*. Sementara itu "
        "Bapak/Ibu tetap dapat menggunakan menu informasi."
    )


def test_extra_hours_leave_tickets_waiting_after_hours_alone(session, clock, office_with):
    office, _queue, supervisor, (waiting,) = office_with("waiting")
    clock.set(datetime(2026, 12, 1, 16, 0, tzinfo=WIB))  # after hours, still in the queue
    outcome = _open_extra(
        session,
        office,
        starts_at=datetime(2026, 12, 5, 8, 0, tzinfo=WIB),
        ends_at=datetime(2026, 12, 5, 12, 0, tzinfo=WIB),
        at=clock.now(),
        actor=supervisor,
        reason="Sabtu",
    )
    assert (outcome.deferred, outcome.told) == (0, 0)
    assert waiting.status == "waiting" and _outbound(session, waiting) == []


def test_the_telling_task_is_safe_to_run_twice(session, office_with):
    office, _queue, supervisor, (waiting,) = office_with("waiting")
    outcome = closure.close_now(
        session, office, until=TUESDAY_13, at=TUESDAY_10, actor=supervisor, reason="Banjir"
    )
    args = (outcome.override.id, outcome.action, TUESDAY_10.isoformat(), outcome.notices)
    assert closure.tell_citizens(session, *args) == 1
    assert closure.tell_citizens(session, *args) == 0
    assert len(_outbound(session, waiting)) == 1


def test_a_ticket_released_before_the_task_runs_is_not_told_the_old_news(
    session, clock, office_with
):
    office, _queue, supervisor, (waiting,) = office_with("waiting")
    outcome = closure.close_now(
        session, office, until=TUESDAY_13, at=TUESDAY_10, actor=supervisor, reason="Banjir"
    )
    clock.set(TUESDAY_13)  # the broker was down until the closure ended
    assert release_due(session, TUESDAY_13) == 1
    args = (outcome.override.id, outcome.action, TUESDAY_10.isoformat(), outcome.notices)
    assert closure.tell_citizens(session, *args) == 0
    assert all("ditutup sementara" not in body for body in _outbound(session, waiting))
