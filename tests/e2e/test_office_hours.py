"""Operating hours through the real webhook and a real worker, with the shared clock set:
deferred outside hours, released at opening with the approved template when the 24-hour
window has closed, held agent replies delivered when the citizen answers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import requests
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.models import Ticket, TicketEvent
from tests.harness import at_once
from tests.stack import WIB, agent_token, citizen, handoff_path, inbound_form, sid, wait_until

WIT = timezone(timedelta(hours=9))
SATURDAY_10_WIB = datetime(2026, 11, 28, 10, 0, tzinfo=WIB)
PAPUA_NUMBER = "whatsapp:+6281180009999"


def hand_off(stack, fake_twilio, who: str, to: str | None = None) -> str:
    """Drive the citizen to a handoff; return the bot's last reply."""
    key, answers, _ = handoff_path(stack)
    for body in ["Halo", key, *answers]:
        before = len(fake_twilio.sent_to(who))
        form = inbound_form(sid(), who, body)
        if to:
            form["To"] = to
        assert stack.post_webhook(form).status_code == 200
        wait_until(lambda b=before: len(fake_twilio.sent_to(who)) > b, 30, what="bot reply")
    return fake_twilio.sent_to(who)[-1].body


def run_task(stack, name: str) -> int:
    from pandawa.tickets import tasks

    with stack.app.app_context():
        try:
            return getattr(tasks, name)()
        finally:
            db.session.remove()


def test_saturday_handoff_is_deferred_until_monday_0800_wib(e2e, fake_twilio):
    e2e.clock.set(SATURDAY_10_WIB)
    who = citizen()
    reply = hand_off(e2e, fake_twilio, who)
    assert "Senin, 30 November 2026 pukul 08.00 WIB" in reply
    assert e2e.scalar(sa.select(Ticket.status)) == "deferred"


def test_an_office_in_papua_answers_in_wit(e2e, fake_twilio):
    with e2e.app.app_context():
        if db.session.scalar(sa.select(Office.id).where(Office.code == "JAYAPURA")) is None:
            db.session.add(
                Office(
                    code="JAYAPURA",
                    name="BPJS Kesehatan Kantor Cabang Jayapura",
                    whatsapp_address=PAPUA_NUMBER,
                    timezone="Asia/Jayapura",
                    weekly_hours={
                        d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
                    },
                    is_active=True,
                    updated_at=SATURDAY_10_WIB,
                )
            )
            db.session.commit()
        db.session.remove()
    e2e.clock.set(datetime(2026, 11, 28, 10, 0, tzinfo=WIT))
    who = citizen()
    reply = hand_off(e2e, fake_twilio, who, to=PAPUA_NUMBER)
    assert "Senin, 30 November 2026 pukul 08.00 WIT" in reply


def test_monday_opening_sends_the_template_then_the_held_reply(e2e, fake_twilio):
    e2e.clock.set(SATURDAY_10_WIB)
    who = citizen()
    hand_off(e2e, fake_twilio, who)
    number = e2e.scalar(sa.select(Ticket.number))

    e2e.clock.set(datetime(2026, 11, 30, 7, 59, tzinfo=WIB))
    assert run_task(e2e, "release_deferred") == 0
    assert e2e.scalar(sa.select(Ticket.status)) == "deferred"

    e2e.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=WIB))
    assert run_task(e2e, "release_deferred") == 1
    assert e2e.scalar(sa.select(Ticket.status)) == "waiting"
    # 46 hours after the citizen's last message: only the approved template may go
    sent = fake_twilio.wait_for(lambda ms: any(m.to == who and m.content_sid for m in ms), 30)
    template = [m for m in sent if m.to == who and m.content_sid][-1]
    assert template.body is None
    assert json.loads(template.content_variables)["1"] == number

    token = agent_token(e2e, handoff_path(e2e)[2])
    auth = {"Authorization": f"Bearer {token}"}
    base = e2e.base_url + "/api/v1"
    assert requests.post(f"{base}/tickets/claim", headers=auth, timeout=10).status_code == 200
    detail = requests.get(f"{base}/tickets/{number}", headers=auth, timeout=10).json()
    assert detail["window"]["is_open"] is False
    text = "Selamat pagi, kami siap membantu perubahan faskes Bapak."
    held = requests.post(
        f"{base}/tickets/{number}/messages", headers=auth, json={"body": text}, timeout=10
    )
    # held inside until the citizen answers; the contract's word for it is `pending`
    assert held.status_code == 202 and held.json()["status"] == "pending"
    templates_before = sum(1 for m in fake_twilio.sent_to(who) if m.content_sid)
    assert templates_before == 1  # one template per reopening, not one per reply

    e2e.clock.set(datetime(2026, 11, 30, 8, 5, tzinfo=WIB))
    assert e2e.post_webhook(inbound_form(sid(), who, "LANJUT")).status_code == 200
    fake_twilio.wait_for(lambda ms: any(m.to == who and m.body == text for m in ms), 30)
    detail = requests.get(f"{base}/tickets/{number}", headers=auth, timeout=10).json()
    assert detail["window"]["is_open"] is True
    # business time: released 08:00, answered 08:00 → waited since Saturday, 0 business minutes
    assert detail["wait_business_seconds"] == 0


def test_tuesday_handoff_waits_with_position_and_estimate(e2e, fake_twilio):
    queue = handoff_path(e2e)[2]
    token = agent_token(e2e, queue)  # an agent of that queue is online: they used the API
    requests.get(
        e2e.base_url + "/api/v1/queues", timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    reply = hand_off(e2e, fake_twilio, citizen())
    assert "antrean ke-1" in reply and "sekitar" in reply and "menit" in reply
    assert e2e.scalar(sa.select(Ticket.status)) == "waiting"


def test_two_beats_release_each_ticket_once(e2e, fake_twilio):
    e2e.clock.set(datetime(2026, 11, 29, 20, 0, tzinfo=WIB))  # Sunday evening
    people = [citizen() for _ in range(3)]
    for who in people:
        hand_off(e2e, fake_twilio, who)
    e2e.clock.set(datetime(2026, 11, 30, 8, 0, 30, tzinfo=WIB))
    results = at_once(lambda _: run_task(e2e, "release_deferred"), range(2))
    assert sum(results) == 3  # between them, each ticket once
    released = e2e.scalar(
        sa.select(sa.func.count()).select_from(TicketEvent).where(TicketEvent.kind == "released")
    )
    assert released == 3
    released_note = "antrean dan petugas"  # the agent_will_reply text
    for who in people:  # within the window (Sunday 20:00 → Monday 08:00): one text each
        fake_twilio.wait_for(
            lambda ms, w=who: any(m.to == w and m.body and released_note in m.body for m in ms), 30
        )
    rows = e2e.rows(
        sa.select(Message.recipient).where(
            Message.direction == "out", Message.body.contains(released_note)
        )
    )
    assert sorted(r.recipient for r in rows) == sorted(people)
