"""The fixture `known`, shared by the figures' tests (reports, dashboard, API): tickets with
KNOWN times, run through the real operations (open, claim, reply,
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

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

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
