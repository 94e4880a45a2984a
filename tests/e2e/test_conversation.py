"""The citizen's conversation through the real webhook and a real worker, as a citizen writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.tickets.models import Ticket
from tests.stack import (
    agent_token,
    citizen,
    handoff_path,
    inbound_form,
    open_ticket_as,
    sid,
    wait_until,
)


def say(stack, fake_twilio, who: str, body: str, **extra) -> str:
    """Send as the citizen and return the bot's reply."""
    before = len(fake_twilio.sent_to(who))
    form = {**inbound_form(sid(), who, body), **extra}
    assert stack.post_webhook(form).status_code == 200
    wait_until(lambda: len(fake_twilio.sent_to(who)) > before, 30, what="bot reply")
    return fake_twilio.sent_to(who)[-1].body


def test_menus_in_both_languages(e2e, fake_twilio):
    who = citizen()
    first = say(e2e, fake_twilio, who, "Selamat siang")
    assert "Selamat datang" in first and "\n1. " in first
    english = say(e2e, fake_twilio, who, "English")
    assert "Reply with the *number*" in english and "\n1. " in english
    back = say(e2e, fake_twilio, who, "indonesia")
    assert "Balas dengan *angka*" in back


def test_a_free_question_gets_the_faq_answer(e2e, fake_twilio):
    who = citizen()
    say(e2e, fake_twilio, who, "Halo")
    answer = say(e2e, fake_twilio, who, "gimana cara pindah faskes ya?")
    assert "faskes" in answer.lower() and "Mobile JKN" in answer
    nothing = say(e2e, fake_twilio, who, "qwrtzp xkcdv")
    assert "petugas" in nothing


def test_a_wrong_nik_is_asked_again_and_a_right_one_accepted(e2e, fake_twilio):
    key, answers, _ = handoff_path(e2e)
    who = citizen()
    say(e2e, fake_twilio, who, "Halo")
    prompt = say(e2e, fake_twilio, who, key)
    assert "NIK" in prompt
    again = say(e2e, fake_twilio, who, "12345")
    assert "NIK" in again
    assert e2e.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
    reply = ""
    for answer in answers:
        reply = say(e2e, fake_twilio, who, answer)
    assert "PDW-" in reply
    details = e2e.scalar(sa.select(Ticket.details))
    assert details["nik"] == "3174015708900001"


def test_status_and_cancel_on_an_open_ticket(e2e, fake_twilio):
    who = citizen()
    number, _ = open_ticket_as(e2e, fake_twilio, who)
    status = say(e2e, fake_twilio, who, "status")
    assert number in status and "antrean" in status
    confirm = say(e2e, fake_twilio, who, "batal")
    assert number in confirm and "ya" in confirm
    done = say(e2e, fake_twilio, who, "ya")
    assert "dibatalkan" in done
    assert e2e.scalar(sa.select(Ticket.status)) == "cancelled"


def test_a_photo_reaches_the_ticket(e2e, fake_twilio):
    who = citizen()
    number, queue = open_ticket_as(e2e, fake_twilio, who)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"
    media_url = fake_twilio.add_media(jpeg, "image/jpeg")
    form = {
        **inbound_form(sid(), who, ""),
        "NumMedia": "1",
        "MessageType": "image",
        "MediaUrl0": media_url,
        "MediaContentType0": "image/jpeg",
    }
    assert e2e.post_webhook(form).status_code == 200
    token = agent_token(e2e, queue)
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{e2e.base_url}/api/v1/tickets/{number}"

    def stored():
        detail = requests.get(base, headers=auth, timeout=10).json()
        media = [m for m in detail["messages"] if m.get("media")]
        return media and media[-1]["media"][0].get("status") == "stored" and media[-1]

    message = wait_until(stored, 30, what="the photo stored on the ticket")
    download = requests.get(f"{base}/media/{message['id']}/0", headers=auth, timeout=10)
    assert download.status_code == 200 and download.content == jpeg
    assert download.headers["Content-Type"] == "image/jpeg"


def test_satisfaction_is_stored(e2e, fake_twilio):
    who = citizen()
    number, queue = open_ticket_as(e2e, fake_twilio, who)
    auth = {"Authorization": f"Bearer {agent_token(e2e, queue)}"}
    base = f"{e2e.base_url}/api/v1/tickets"
    assert requests.post(f"{base}/claim", headers=auth, timeout=10).status_code == 200
    before = len(fake_twilio.sent_to(who))
    assert requests.post(f"{base}/{number}/resolve", headers=auth, timeout=10).status_code == 200
    wait_until(lambda: len(fake_twilio.sent_to(who)) > before, 30, what="closing message")
    closing = fake_twilio.sent_to(who)[-1].body
    assert "1" in closing and "5" in closing
    thanks = say(e2e, fake_twilio, who, "5 terima kasih pelayanannya cepat")
    assert thanks
    detail = requests.get(f"{base}/{number}", headers=auth, timeout=10).json()
    assert detail["satisfaction"] == 5


def test_a_flood_of_100_messages_is_stored_and_slowed_down_once(e2e, fake_twilio):
    who = citizen()
    forms = [inbound_form(sid(), who, f"halo {i}") for i in range(100)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda f: e2e.post_webhook(f).status_code, forms))
    assert codes == [200] * 100
    stored = (
        sa.select(sa.func.count())
        .select_from(Message)
        .where(Message.sender == who, Message.direction == "in")
    )
    wait_until(
        lambda: e2e.scalar(stored.where(Message.processed_at.is_not(None))) == 100,
        90,
        what="all 100 processed",
    )
    unsent = (
        sa.select(sa.func.count())
        .select_from(Message)
        .where(Message.recipient == who, Message.status.in_(["pending", "sending"]))
    )
    wait_until(lambda: e2e.scalar(unsent) == 0, 90, what="every reply sent")
    bodies = [m.body or "" for m in fake_twilio.sent_to(who)]
    assert sum("terlalu cepat" in b for b in bodies) == 1, bodies
    assert len(bodies) <= 21  # answers up to the limit, then one "please slow down"
