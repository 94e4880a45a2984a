"""What the citizen reads about their wait (tickets.intake.position_replies): "about N minutes"
only when today is realistic, the day and time of a later opening when the queue runs past
closing, and no invented number when no agent is online during hours — in both languages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pandawa.catalog.queries import active_catalog
from pandawa.core.clock import now
from pandawa.hours.queries import calendar_for
from pandawa.provisioning.operations import load_default
from pandawa.tickets.intake import position_replies

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def queue_at(session, clock, make_office, make_queue, make_user, make_conversation, make_ticket):
    """`queue_at(when, agents=[(capacity, load)], ahead=n)` → (catalog, ticket, calendar): the
    citizen's ticket waiting behind `ahead` others, agents of the queue online at `when`."""

    def make(when: datetime, agents=(), ahead: int = 0):
        load_default(session)
        clock.set(when)
        office, queue = make_office(), make_queue()
        for capacity, load in agents:
            agent = make_user(queues=[queue])
            agent.last_seen_at, agent.capacity = now(), capacity
            for _ in range(load):
                make_ticket(queue=queue, status="assigned", assignee=agent)
        for _ in range(ahead):
            make_ticket(queue=queue, conversation=make_conversation(office=office))
        ticket = make_ticket(queue=queue, conversation=make_conversation(office=office))
        session.flush()
        return active_catalog(), ticket, calendar_for(session, office)

    return make


def test_a_short_queue_hears_about_n_minutes(session, queue_at):
    catalog, ticket, calendar = queue_at(datetime(2026, 12, 1, 10, 0, tzinfo=WIB), [(2, 1)], 1)
    # one free place for the first citizen; ours waits one handle time (600 s) over 2 places
    assert position_replies(session, catalog, ticket, "id", calendar) == [
        "Saat ini Bapak/Ibu berada di antrean ke-2 dengan perkiraan waktu tunggu sekitar "
        "5 menit. Petugas kami akan segera membalas."
    ]


def test_at_1455_a_long_queue_hears_the_next_morning_not_minutes(session, queue_at):
    # the case: at 14:55 "about 20 minutes" would not be served today
    catalog, ticket, calendar = queue_at(datetime(2026, 12, 1, 14, 55, tzinfo=WIB), [(1, 1)], 1)
    (text,) = position_replies(session, catalog, ticket, "id", calendar)
    assert text == (
        "Saat ini Bapak/Ibu berada di antrean ke-2. Antrean hari ini cukup panjang, sehingga "
        "Bapak/Ibu kemungkinan baru dapat dilayani pada *Rabu, 2 Desember 2026 pukul 08.15 WIB*. "
        "Tiket Bapak/Ibu tetap tersimpan di antrean, sehingga Bapak/Ibu tidak perlu mengirim "
        "ulang permohonan."
    )
    assert "menit" not in text
    (english,) = position_replies(session, catalog, ticket, "en", calendar)
    assert "probably be served on *Wednesday, 2 December 2026 at 08:15 WIB*" in english


def test_friday_afternoon_rolls_over_to_monday(session, queue_at):
    catalog, ticket, calendar = queue_at(datetime(2026, 12, 4, 14, 50, tzinfo=WIB), [(1, 1)], 2)
    (text,) = position_replies(session, catalog, ticket, "id", calendar)
    assert "*Senin, 7 Desember 2026 pukul 08.20 WIB*" in text


def test_no_agent_online_during_hours_gets_no_invented_minutes(session, queue_at, make_user):
    catalog, ticket, calendar = queue_at(datetime(2026, 12, 1, 10, 0, tzinfo=WIB), [], 2)
    assert calendar.is_open(now())
    # a member who was last seen 11 minutes ago is not online
    away = make_user(queues=[ticket.queue])
    away.last_seen_at = datetime(2026, 12, 1, 9, 49, tzinfo=WIB)
    session.flush()
    assert position_replies(session, catalog, ticket, "id", calendar) == [
        "Saat ini Bapak/Ibu berada di antrean ke-3. Belum ada petugas yang sedang aktif untuk "
        "layanan ini, sehingga kami belum dapat memperkirakan waktu tunggu. Petugas akan "
        "membalas segera setelah tersedia."
    ]
    assert position_replies(session, catalog, ticket, "en", calendar) == [
        "You are number 3 in the queue. No officer for this service is online right now, so we "
        "cannot estimate the wait yet. An officer will reply as soon as one is available."
    ]
