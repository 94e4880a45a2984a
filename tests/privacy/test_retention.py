"""Retention: the daily task erases what is older than RETENTION_DAYS and closed, and nothing
else; the figures stay; a second run changes nothing."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

import pandawa.privacy.tasks  # noqa: F401  (registers the task with the Celery app)
from pandawa.audit.models import AuditEvent
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.core.celery_app import BEAT_SCHEDULE
from pandawa.core.clock import now
from pandawa.core.config import current_settings
from pandawa.reports.scope import scope_for_days
from pandawa.reports.snapshots import AllQueues, compute
from pandawa.tickets.models import Ticket
from tests.citizen_story import NIK
from tests.factories import inbound

OPEN_NIK = "3174015708900002"
CLOSED_NIK = "3174015708900003"


def _figures(session):
    scope = scope_for_days(date(2026, 11, 1), date(2026, 12, 31), "Asia/Jakarta")
    page = compute(session, AllQueues(), scope)
    return page.by_queue, page.total, page.hours, page.weekdays, page.buckets, page.sla_days


def _run(app):
    return app.extensions["celery"].tasks["privacy.erase_expired"]()


def test_the_task_runs_daily_from_beat():
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "privacy.erase_expired")
    assert entry["schedule"].hour == {19} and entry["schedule"].minute == {30}  # 02:30 WIB


def test_retention_erases_only_what_is_old_and_closed(
    app, session, clock, story, make_conversation, make_ticket, add_message
):
    # beside the story (a citizen whose ticket was resolved and rated today):
    # a citizen still waiting on an open ticket
    waiting = make_ticket(status="waiting")
    waiting.details = {"service": "Kepesertaan", "nik": OPEN_NIK}
    add_message(waiting, body="masih menunggu jawaban")
    # a citizen with a closed ticket and a chat with the bot, who writes again a year later
    returning = make_conversation()
    closed = make_ticket(status="resolved", conversation=returning)
    closed.details = {"service": "Kepesertaan", "nik": CLOSED_NIK}
    closed.resolved_at = now()
    add_message(closed, body="tiket lama yang sudah selesai")
    old_chat = inbound(returning, "jam buka kantor?", conversation_id=returning.id)
    session.commit()
    clock.advance(days=current_settings().retention_days + 1)
    recent = inbound(returning, "halo lagi", conversation_id=returning.id)
    returning.updated_at = returning.last_inbound_at = now()
    session.commit()
    before = _figures(session)
    photo = story.photo_path
    assert photo.exists()

    counts = _run(app)

    session.expire_all()
    # the story's citizen: nothing newer than the cutoff, no open ticket: erased entirely
    gone = session.get(Contact, story.contact_id)
    assert gone.address == f"erased:{gone.id}" and gone.name is None and gone.erased_at
    assert NIK not in str(session.get(Ticket, story.ticket_id).details)
    assert not photo.exists()
    # the waiting citizen: untouched
    assert session.get(Ticket, waiting.id).details["nik"] == OPEN_NIK
    assert "masih menunggu jawaban" in session.scalars(sa.select(Message.body)).all()
    # the returning citizen: the old ticket and the old chat erased, the number and today kept
    assert session.get(Ticket, closed.id).details == {"service": "Kepesertaan"}
    assert session.get(Message, old_chat.id).body == ""
    assert session.get(Message, recent.id).body == "halo lagi"
    assert session.get(Contact, returning.contact_id).erased_at is None
    # the counts and figures stay, one audit row says how much, with no number in it
    assert _figures(session) == before
    assert counts["contacts"] == 1 and counts["tickets"] == 2 and counts["files"] == 1
    [audit] = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "retention_erase")
    ).all()
    assert audit.actor_label == "retention" and audit.contact_id is None
    assert audit.details["contacts"] == 1 and "81234567890" not in str(audit.details)

    again = _run(app)

    assert not any(again.values())
    assert (
        session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "retention_erase"))
        == 1
    )


def test_nothing_is_erased_before_its_time(app, session, clock, story):
    clock.advance(days=current_settings().retention_days - 1)

    counts = _run(app)

    session.expire_all()
    assert not any(counts.values())
    assert session.get(Contact, story.contact_id).erased_at is None
    assert session.get(Ticket, story.ticket_id).details["nik"] == NIK
    assert story.photo_path.exists()
