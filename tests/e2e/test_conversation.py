"""The citizen's conversation through the real webhook and a real worker, as a citizen writes:
through Twilio and through Meta's Cloud API alike (`phone`, tests/e2e/conftest.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.tickets.models import Ticket
from tests.e2e.phones import open_ticket, say
from tests.stack import agent_token, citizen, handoff_path, inbound_form, sid, wait_until


def test_menus_in_both_languages(phone):
    who = citizen()
    first = say(phone, who, "Selamat siang")
    assert "Selamat datang" in first and "\n1. " in first
    english = say(phone, who, "English")
    assert "Reply with the *number*" in english and "\n1. " in english
    back = say(phone, who, "indonesia")
    assert "Balas dengan *angka*" in back


def test_a_free_question_gets_the_faq_answer(phone):
    who = citizen()
    say(phone, who, "Halo")
    answer = say(phone, who, "gimana cara pindah faskes ya?")
    assert "faskes" in answer.lower() and "Mobile JKN" in answer
    nothing = say(phone, who, "qwrtzp xkcdv")
    assert "petugas" in nothing


def test_a_wrong_nik_is_asked_again_and_a_right_one_accepted(phone):
    key, answers, _ = handoff_path(phone.stack)
    who = citizen()
    say(phone, who, "Halo")
    prompt = say(phone, who, key)
    assert "NIK" in prompt
    again = say(phone, who, "12345")
    assert "NIK" in again
    assert phone.stack.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
    reply = ""
    for answer in answers:
        reply = say(phone, who, answer)
    assert "PDW-" in reply
    details = phone.stack.scalar(sa.select(Ticket.details))
    assert details["nik"] == "3174015708900001"


def test_status_and_cancel_on_an_open_ticket(phone):
    who = citizen()
    number, _ = open_ticket(phone, who)
    status = say(phone, who, "status")
    assert number in status and "antrean" in status
    confirm = say(phone, who, "batal")
    assert number in confirm and "ya" in confirm
    done = say(phone, who, "ya")
    assert "dibatalkan" in done
    assert phone.stack.scalar(sa.select(Ticket.status)) == "cancelled"


def test_a_photo_reaches_the_ticket(phone):
    who = citizen()
    number, queue = open_ticket(phone, who)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"
    assert phone.post_photo(who, jpeg).status_code == 200
    token = agent_token(phone.stack, queue)
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{phone.stack.base_url}/api/v1/tickets/{number}"

    def stored():
        detail = requests.get(base, headers=auth, timeout=10).json()
        media = [m for m in detail["messages"] if m.get("media")]
        return media and media[-1]["media"][0].get("status") == "stored" and media[-1]

    message = wait_until(stored, 30, what="the photo stored on the ticket")
    download = requests.get(f"{base}/media/{message['id']}/0", headers=auth, timeout=10)
    assert download.status_code == 200 and download.content == jpeg
    assert download.headers["Content-Type"] == "image/jpeg"


def test_satisfaction_is_stored(phone):
    who = citizen()
    number, queue = open_ticket(phone, who)
    auth = {"Authorization": f"Bearer {agent_token(phone.stack, queue)}"}
    base = f"{phone.stack.base_url}/api/v1/tickets"
    assert requests.post(f"{base}/claim", headers=auth, timeout=10).status_code == 200
    before = len(phone.sent_to(who))
    assert requests.post(f"{base}/{number}/resolve", headers=auth, timeout=10).status_code == 200
    wait_until(lambda: len(phone.sent_to(who)) > before, 30, what="closing message")
    closing = phone.sent_to(who)[-1].body
    assert "1" in closing and "5" in closing
    thanks = say(phone, who, "5 terima kasih pelayanannya cepat")
    assert thanks
    detail = requests.get(f"{base}/{number}", headers=auth, timeout=10).json()
    assert detail["satisfaction"] == 5
    # every message to this citizen went back through the provider they wrote to
    providers = phone.stack.scalar(
        sa.select(sa.func.array_agg(sa.distinct(Message.provider))).where(Message.recipient == who)
    )
    assert providers == [phone.provider]


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
