"""Through a Meta number on the real stack: the 24-hour window's rules as with Twilio (the
approved template at opening, by its WhatsApp Manager name; the agent's reply held until the
citizen answers), and Meta's delivery statuses reaching the API, a failure with its code."""

from __future__ import annotations

from datetime import datetime

import requests
import sqlalchemy as sa

from pandawa.tickets.models import Ticket
from tests.e2e.phones import MetaPhone, open_ticket, say
from tests.e2e.test_office_hours import SATURDAY_10_WIB, run_task
from tests.fakes import meta_graph as graph
from tests.stack import WIB, agent_token, citizen, handoff_path, wait_until


def test_monday_opening_sends_the_meta_template_then_the_held_reply(e2e, fake_graph):
    phone = MetaPhone(e2e, fake_graph)
    e2e.clock.set(SATURDAY_10_WIB)
    who = citizen()
    number, queue = open_ticket_deferred(phone, who)

    e2e.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=WIB))
    assert run_task(e2e, "release_deferred") == 1
    wait_until(lambda: any(m.template for m in fake_graph.sent_to(who)), 30, what="template")
    [template] = [m.template for m in fake_graph.sent_to(who) if m.template]
    assert template["name"] == "window_reopen"
    assert template["components"][0]["parameters"] == [{"type": "text", "text": number}]

    auth = {"Authorization": f"Bearer {agent_token(e2e, queue)}"}
    base = e2e.base_url + "/api/v1/tickets"
    assert requests.post(f"{base}/claim", headers=auth, timeout=10).status_code == 200
    text = "Selamat pagi, kami siap membantu perubahan faskes Bapak."
    held = requests.post(f"{base}/{number}/messages", headers=auth, json={"body": text}, timeout=10)
    assert held.status_code == 202 and held.json()["status"] == "pending"

    e2e.clock.set(datetime(2026, 11, 30, 8, 5, tzinfo=WIB))
    assert phone.post(who, "LANJUT").status_code == 200
    wait_until(lambda: any(m.body == text for m in fake_graph.sent_to(who)), 30, what="reply")
    [reply] = [m for m in fake_graph.sent_to(who) if m.body == text]

    # Meta reports it delivered, then read: the agent's API shows it
    statuses = [
        graph.status(reply.wamid, state, recipient=who, timestamp=1_796_000_000 + i)
        for i, state in enumerate(["sent", "delivered", "read"])
    ]
    raw, headers = graph.signed(graph.notification(phone.ours, statuses=statuses))
    assert requests.post(e2e.base_url + "/webhooks/meta/whatsapp", data=raw, headers=headers).ok

    def reply_status():
        detail = requests.get(f"{base}/{number}", headers=auth, timeout=10).json()
        return next(m["status"] for m in detail["messages"] if m["body"] == text)

    wait_until(lambda: reply_status() == "read", 10, what="read status")


def open_ticket_deferred(phone: MetaPhone, who: str) -> tuple[str, str]:
    """Saturday: the handoff makes a deferred ticket (tests.e2e.phones.open_ticket wants one
    waiting)."""
    key, answers, queue = handoff_path(phone.stack)
    for body in ["Halo", key, *answers]:
        say(phone, who, body)
    number = phone.stack.scalar(sa.select(Ticket.number).where(Ticket.status == "deferred"))
    assert number
    return number, queue


def test_a_reply_meta_fails_shows_failed_with_metas_code(e2e, fake_graph):
    phone = MetaPhone(e2e, fake_graph)
    who = citizen()
    number, queue = open_ticket(phone, who)
    auth = {"Authorization": f"Bearer {agent_token(e2e, queue)}"}
    base = e2e.base_url + "/api/v1/tickets"
    assert requests.post(f"{base}/claim", headers=auth, timeout=10).status_code == 200
    fake_graph.fail_next(400, 131026, "Message undeliverable")
    reply = requests.post(
        f"{base}/{number}/messages", headers=auth, json={"body": "Baik, kami cek."}, timeout=10
    )
    assert reply.status_code == 202

    def failed():
        detail = requests.get(f"{base}/{number}", headers=auth, timeout=10).json()
        return next(
            (m for m in detail["messages"] if m["body"] == "Baik, kami cek." and m["error_code"]),
            None,
        )

    message = wait_until(failed, 30, what="the failure on the ticket")
    assert (message["status"], message["error_code"]) == ("failed", "131026")
