"""A citizen's phone for the end-to-end tests, through either provider: what it posts to the
stack's webhook (Twilio's signed form, or Meta's signed JSON) and what the provider's fake
received for it (each with the `body` the citizen reads)."""

from __future__ import annotations

import itertools
from typing import Protocol

import requests
import sqlalchemy as sa

from pandawa.tickets.models import Ticket
from tests.fakes import meta_graph as graph
from tests.fakes.meta_graph import FakeGraph
from tests.fakes.twilio import FakeTwilio
from tests.stack import OUR_NUMBER, Stack, handoff_path, inbound_form, sid, wait_until

META_PATH = "/webhooks/meta/whatsapp"


class Phone(Protocol):
    provider: str
    stack: Stack

    def post(self, who: str, body: str) -> requests.Response: ...

    def post_photo(self, who: str, jpeg: bytes) -> requests.Response: ...

    def sent_to(self, who: str) -> list: ...


class TwilioPhone:
    provider = "twilio"

    def __init__(self, stack: Stack, fake: FakeTwilio) -> None:
        self.stack, self.fake = stack, fake

    def post(self, who: str, body: str) -> requests.Response:
        return self.stack.post_webhook(inbound_form(sid(), who, body))

    def post_photo(self, who: str, jpeg: bytes) -> requests.Response:
        form = {
            **inbound_form(sid(), who, ""),
            "NumMedia": "1",
            "MessageType": "image",
            "MediaUrl0": self.fake.add_media(jpeg, "image/jpeg"),
            "MediaContentType0": "image/jpeg",
        }
        return self.stack.post_webhook(form)

    def sent_to(self, who: str) -> list:
        return self.fake.sent_to(who)


class MetaPhone:
    """Writes to the office's number as a Cloud API number would deliver it (the stack's
    office number doubles as a Meta number here: an address routes the same either way)."""

    provider = "meta"

    def __init__(self, stack: Stack, fake: FakeGraph, ours: str = OUR_NUMBER) -> None:
        self.stack, self.fake, self.ours = stack, fake, ours
        self._ticks = itertools.count()

    def _timestamp(self) -> int:
        # Meta's clock, a second apart per message: the order the citizen wrote in
        return int(self.stack.clock.now().timestamp()) + next(self._ticks)

    def _post(self, item: dict) -> requests.Response:
        raw, headers = graph.signed(graph.notification(self.ours, messages=[item]))
        return requests.post(self.stack.base_url + META_PATH, data=raw, headers=headers, timeout=10)

    def post(self, who: str, body: str) -> requests.Response:
        return self._post(graph.text_message(who, body, timestamp=self._timestamp()))

    def post_photo(self, who: str, jpeg: bytes) -> requests.Response:
        media_id = self.fake.add_media(jpeg, "image/jpeg")
        detail = {"id": media_id, "mime_type": "image/jpeg", "sha256": "-"}
        return self._post(graph.message(who, "image", detail, timestamp=self._timestamp()))

    def sent_to(self, who: str) -> list:
        return self.fake.sent_to(who)


def say(phone: Phone, who: str, body: str) -> str:
    """Send as the citizen and return the bot's reply."""
    before = len(phone.sent_to(who))
    assert phone.post(who, body).status_code == 200
    wait_until(lambda: len(phone.sent_to(who)) > before, 30, what="bot reply")
    return phone.sent_to(who)[-1].body


def open_ticket(phone: Phone, who: str) -> tuple[str, str]:
    """Drive a citizen from hello to a ticket; return (ticket number, queue code)."""
    key, answers, queue_code = handoff_path(phone.stack)
    last = ""
    for body in ["Halo", key, *answers]:
        last = say(phone, who, body)
    number = phone.stack.scalar(
        sa.select(Ticket.number).join(Ticket.queue).where(Ticket.status == "waiting")
    )
    assert number and number in last, last
    return number, queue_code
