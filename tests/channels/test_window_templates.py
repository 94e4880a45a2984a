"""An agent's reply after WhatsApp's 24-hour window closed, through the console, with real
commits, the real send task and the fake Twilio REST API.

Past the window only an approved template may reach the citizen: the reply is held, the
catalogue's `window_reopen` template goes out (a ContentSid and its variables, no free text),
and the held text follows when the citizen answers. A catalogue without that template cannot
ask the citizen anything: the reply is refused, the agent is told why in Bahasa Indonesia, and
nothing at all reaches Twilio.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import yaml

from pandawa.catalog.loader import default_catalog_path
from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.conversations.tasks import process_inbound
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.provisioning.operations import load_catalog, load_default
from pandawa.tickets.models import Queue, Ticket
from tests.channels.conftest import send_pending
from tests.harness import (
    INBOUND_PATH,
    csrf_token,
    inbound_form,
    reset_throttle,
    sign_in,
    signed_headers,
    with_password,
)

pytestmark = pytest.mark.usefixtures("live_db")

REPLY = "Selamat pagi Ibu, berkas perubahan faskes Ibu sudah kami proses."
HELD_FLASH = "Pesan ditahan; templat dikirim terlebih dahulu."
NO_TEMPLATE = "Balasan tidak dikirim: jendela 24 jam WhatsApp sudah tertutup"


@pytest.fixture
def desk(app, make_user, make_ticket, make_conversation):
    """An agent signed in to the console, holding a ticket whose citizen last wrote 30 hours
    ago (the window is shut). Returns (browser, ticket number, citizen's address, our number);
    the catalogue is loaded by the test."""

    def make(catalogue_path=None):
        with app.app_context():
            if catalogue_path is None:
                load_default(db.session)
            else:
                load_catalog(db.session, catalogue_path)
            # the catalogue's own office and queue, so a later catalogue load keeps them
            office = db.session.scalar(sa.select(Office).order_by(Office.id).limit(1))
            queue = db.session.scalar(sa.select(Queue).where(Queue.code == "KEPESERTAAN"))
            agent = with_password(make_user(queues=[queue]))
            conversation = make_conversation(office=office)
            conversation.last_inbound_at = now() - timedelta(hours=30)
            ticket = make_ticket(
                queue=queue, status="assigned", assignee=agent, conversation=conversation
            )
            ours = office.whatsapp_address
            found = (ticket.number, conversation.contact.address, ours, agent.email)
            db.session.commit()
        reset_throttle(app)
        browser = app.test_client()
        assert sign_in(browser, found[3]).status_code == 302
        return browser, *found[:3]

    return make


def reply(browser, number: str, body: str = REPLY) -> str:
    """The agent sends `body` from the ticket page; returns the page they land on."""
    path = f"/console/tickets/{number}"
    response = browser.post(
        f"{path}/reply", data={"body": body, "csrf_token": csrf_token(browser, path)}
    )
    assert response.status_code == 302
    return html.unescape(browser.get(path).get_data(as_text=True))


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page, re.S)


def outbound(app) -> list[Message]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                sa.select(Message).where(Message.direction == "out").order_by(Message.id)
            )
        )
        db.session.expunge_all()
        return rows


def active_catalog_template(app) -> str:
    with app.app_context():
        return active_catalog().template("window_reopen").content_sid


def test_a_reply_past_the_window_goes_as_the_approved_template(
    app, desk, run_task, twilio_fake, clock
):
    browser, number, citizen, ours = desk()
    template = active_catalog_template(app)

    page = reply(browser, number)

    assert flashes(page) == [HELD_FLASH]
    assert "Jendela 24 jam tertutup" in page
    # the conversation shows the template's text (what the citizen reads) and the reply held
    assert f"Tiket {number} Bapak/Ibu siap ditangani petugas" in page
    assert re.search(re.escape(REPLY) + r".*?ditahan", page, re.S)
    send_pending(app, run_task)
    [sent] = twilio_fake.sent_to(citizen)
    assert (sent.from_, sent.content_sid, sent.body) == (ours, template, None)
    assert "Body" not in sent.form
    assert json.loads(sent.content_variables) == {"1": number}
    rows = outbound(app)
    assert [(m.content_sid, m.status) for m in rows] == [(template, "queued"), (None, "held")]

    # a second reply before the citizen answers: held too, and no second template
    page = reply(browser, number, "Mohon juga siapkan kartu keluarga.")
    assert flashes(page) == [HELD_FLASH]
    send_pending(app, run_task)
    assert len(twilio_fake.sent_to(citizen)) == 1

    # the citizen answers the template: the window is open, the held texts go out in order
    clock.advance(hours=2)
    form = inbound_form("SM" + "9" * 32, From=citizen, To=ours, Body="Baik, saya tunggu.")
    webhook = app.test_client().post(
        INBOUND_PATH, data=form, headers=signed_headers(INBOUND_PATH, form)
    )
    assert webhook.status_code == 200
    with app.app_context():
        answer = db.session.scalar(sa.select(Message.id).where(Message.direction == "in"))
        process_inbound(answer)
        db.session.remove()
    send_pending(app, run_task)
    texts = [m.body for m in twilio_fake.sent_to(citizen)[1:]]
    assert texts[:2] == [REPLY, "Mohon juga siapkan kartu keluarga."]


def test_inside_the_window_the_reply_is_free_text(app, desk, run_task, twilio_fake):
    """The same desk with the window open (the guard above is about the window, not the
    console): the text itself goes, no template."""
    browser, number, citizen, _ours = desk()
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        db.session.get(Conversation, ticket.conversation_id).last_inbound_at = now()
        db.session.commit()

    page = reply(browser, number)

    assert flashes(page) == ["Pesan dikirim."]
    send_pending(app, run_task)
    [sent] = twilio_fake.sent_to(citizen)
    assert (sent.body, sent.content_sid) == (REPLY, None)


@pytest.fixture
def without_reopen_template(tmp_path):
    document = yaml.safe_load(default_catalog_path().read_text(encoding="utf-8"))
    del document["templates"]["window_reopen"]
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_without_the_template_the_reply_is_refused_and_nothing_is_sent(
    app, desk, without_reopen_template, run_task, twilio_fake
):
    browser, number, _citizen, _ours = desk(without_reopen_template)

    page = reply(browser, number)

    [told] = flashes(page)
    assert told.startswith(NO_TEMPLATE) and "window_reopen" in told and "admin" in told
    assert HELD_FLASH not in page
    assert REPLY not in page.split('id="reply"')[0]  # not in the conversation either
    assert outbound(app) == []  # neither held nor queued: nothing waits unseen
    send_pending(app, run_task)
    assert twilio_fake.messages == [] and twilio_fake.creations() == 0
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        assert (ticket.status, ticket.first_response_at) == ("assigned", None)
        assert ticket.reopen_templates_sent in (None, 0)


def test_without_the_template_the_api_answers_409_no_template(
    app, desk, without_reopen_template, make_token, twilio_fake
):
    _browser, number, _citizen, _ours = desk(without_reopen_template)
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        token = make_token(ticket.assignee)
        db.session.commit()

    response = app.test_client().post(
        f"/api/v1/tickets/{number}/messages",
        json={"body": REPLY},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "no_template" and error["message"].startswith(NO_TEMPLATE)
    assert outbound(app) == []


def test_once_the_template_went_out_a_later_reply_is_held_even_if_the_catalogue_lost_it(
    app, desk, without_reopen_template, run_task, twilio_fake
):
    """The citizen was asked already (before the template left the catalogue): a reply held
    now goes out when they answer that template, so it is held, not refused."""
    browser, number, _citizen, _ours = desk()
    assert flashes(reply(browser, number)) == [HELD_FLASH]
    with app.app_context():
        load_catalog(db.session, without_reopen_template)
        db.session.commit()

    page = reply(browser, number, "Tambahan: mohon bawa KTP asli.")

    assert flashes(page) == [HELD_FLASH]
    assert [m.status for m in outbound(app)] == ["pending", "held", "held"]
