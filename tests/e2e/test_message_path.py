"""The whole message path on real processes: signed webhook → stored message → Celery
routing → ticket in the queue → agent claims and replies → Twilio receives the reply."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.core.extensions import db
from pandawa.core.masking import mask_address
from pandawa.tickets.models import Ticket
from tests.conversations.drain import faq_questions, menu_text
from tests.stack import agent_token, citizen, count, inbound_form, open_ticket_as, sid, wait_until


def test_citizen_to_agent_and_back(e2e, fake_twilio):
    who = citizen()
    response = e2e.post_webhook(inbound_form(sid(), who, "Halo, selamat pagi"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    assert "<Response" in response.text

    menu = fake_twilio.wait_for(lambda ms: any(m.to == who for m in ms), 30)
    first = next(m for m in menu if m.to == who)
    assert first.from_ == "whatsapp:+6281180001500"
    assert "1" in first.body and len(first.body) > 40  # greeting plus a numbered menu

    number, queue_code = open_ticket_as(e2e, fake_twilio, who)
    token = agent_token(e2e, queue_code)
    auth = {"Authorization": f"Bearer {token}"}

    listed = requests.get(f"{e2e.base_url}/api/v1/tickets", headers=auth, timeout=10).json()
    assert [t["number"] for t in listed["items"]] == [number]
    assert listed["items"][0]["status"] == "waiting"

    claimed = requests.post(f"{e2e.base_url}/api/v1/tickets/claim", headers=auth, timeout=10)
    assert claimed.status_code == 200 and claimed.json()["number"] == number
    assert claimed.json()["contact"]["address"] == mask_address(who)  # masked for staff
    assert (
        requests.post(f"{e2e.base_url}/api/v1/tickets/claim", headers=auth, timeout=10).status_code
        == 204
    )

    text = "Selamat pagi Ibu Siti, permohonan pindah faskes Ibu sedang kami proses."
    sent = requests.post(
        f"{e2e.base_url}/api/v1/tickets/{number}/messages",
        headers=auth,
        json={"body": text},
        timeout=10,
    )
    assert sent.status_code == 202
    reply = fake_twilio.wait_for(lambda ms: any(m.body == text for m in ms), 30)
    delivered = [m for m in reply if m.body == text]
    assert len(delivered) == 1 and delivered[0].to == who
    assert delivered[0].status_callback == "https://pandawa.example.go.id/webhooks/twilio/status"

    # Twilio reports delivery; the agent sees it on the ticket
    status = {
        "MessageSid": delivered[0].sid,
        "MessageStatus": "delivered",
        "AccountSid": "AC" + "0" * 30 + "42",
    }
    assert e2e.post_webhook(status, "/webhooks/twilio/status").status_code == 200

    # The report can come before the worker has committed the provider's id (the fake calls
    # back the moment it answers, as Twilio may): it is kept and applied at that commit, so
    # the tick turns "delivered" at the latest when the send's own commit lands.
    def shown() -> str:
        detail = requests.get(
            f"{e2e.base_url}/api/v1/tickets/{number}", headers=auth, timeout=10
        ).json()
        out = [m for m in detail["messages"] if m["direction"] == "out" and m["body"] == text]
        return out[0]["status"]

    wait_until(lambda: shown() == "delivered", what="the delivered tick on the ticket")


def test_same_message_sid_twice_at_once_is_stored_and_answered_once(e2e, fake_twilio):
    who, message_sid = citizen(), sid()
    form = inbound_form(message_sid, who, "Halo")
    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(lambda _: e2e.post_webhook(form).status_code, range(2)))
    assert codes == [200, 200]
    fake_twilio.wait_for(lambda ms: any(m.to == who for m in ms), 30)
    assert (
        e2e.scalar(sa.select(sa.func.count()).where(Message.provider_message_id == message_sid))
        == 1
    )
    # give a duplicate processing pass the chance to show itself before counting replies
    e2e.post_webhook(inbound_form(sid(), who, "menu"))
    wait_until(lambda: len(fake_twilio.sent_to(who)) >= 2, 30, what="second reply")
    assert len(fake_twilio.sent_to(who)) == 2


def test_fifty_concurrent_messages_all_land_on_the_ticket_once(e2e, fake_twilio):
    """Fifty webhooks at once, ten at a time: each message is stored once and handled once onto
    the citizen's ticket. (Their order is the order their requests committed, which nothing
    outside the database can observe; the order is proved by the next test and by
    tests/conversations/test_order.py.)"""
    who = citizen()
    number, _ = open_ticket_as(e2e, fake_twilio, who)
    forms = [inbound_form(sid(), who, f"pesan {i:02d}") for i in range(50)]
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda f: e2e.post_webhook(f).status_code, forms))
    assert codes == [200] * 50

    ticket_id = e2e.scalar(sa.select(Ticket.id).where(Ticket.number == number))
    bodies = [f["Body"] for f in forms]
    on_ticket = sa.select(Message).where(Message.ticket_id == ticket_id, Message.body.in_(bodies))
    wait_until(lambda: count(e2e, on_ticket) == 50, 60, what="50 messages on the ticket")
    rows = e2e.rows(
        sa.select(Message.body, Message.status, Message.processed_at).where(
            Message.sender == who, Message.body.in_(bodies)
        )
    )
    assert sorted(r.body for r in rows) == sorted(bodies)  # each stored once
    # all handled at the rehearsal clock's one instant (it stands still in this test)
    assert {(r.status, r.processed_at) for r in rows} == {("processed", e2e.clock.now())}


def test_messages_sent_one_after_another_are_answered_in_that_order(e2e, fake_twilio):
    """The citizen types "Halo" and then questions one after another without waiting for the
    bot; the two worker processes race for the tasks. Each question's answer reaches the phone
    in the order the questions were sent, one reply per message — handled in another order,
    the greeting would go to a question and the answers would come shuffled."""
    who = citizen()
    with e2e.app.app_context():
        pairs = faq_questions(10)
        menu = menu_text()
        db.session.remove()
    bodies = ["Halo"] + [question for question, _ in pairs]
    # (the rehearsal clock stands still: moving it while the processes read it could hand
    # them a half-written file; Twilio tells no send time, so the arrival order applies)
    for body in bodies:
        assert e2e.post_webhook(inbound_form(sid(), who, body)).status_code == 200
    wait_until(
        lambda: len(fake_twilio.sent_to(who)) >= len(bodies), 90, what=f"{len(bodies)} replies"
    )
    replies = [m.body for m in fake_twilio.sent_to(who)]
    assert len(replies) == len(bodies), replies
    assert menu in replies[0], replies[0]
    for number, ((question, answer), reply) in enumerate(zip(pairs, replies[1:], strict=True)):
        assert answer in reply, f"reply {number + 1} does not answer {question!r}: {reply[:80]!r}"
