"""The citizen's closing notice after WhatsApp's 24-hour window closed, with real commits, the
real send task and the fake Twilio REST API.

Inside the window a resolved ticket gets the closing text and the 1–5 question as free text.
Past it only an approved template may go: the catalogue's `ticket_resolved_notice` (an agent
resolved it) or `ticket_idle_closed` (closed because the citizen stopped answering), as a
ContentSid with its variables and no Body. A catalogue without the template sends nothing at
all, and the ticket still closes.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
import yaml

from pandawa.catalog.loader import default_catalog_path
from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.provisioning.operations import load_catalog, load_default
from pandawa.tickets import idle
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.operations import resolve
from tests.channels import conftest as channel_fixtures

pytestmark = pytest.mark.usefixtures("live_db")
# the channel tests' fixtures: the send task run as a worker runs it, the fake Twilio reset
run_task = channel_fixtures.run_task
twilio_fake = channel_fixtures.twilio_fake
send_pending = channel_fixtures.send_pending  # a helper, not a fixture


@pytest.fixture
def catalogue(app, tmp_path):
    """Load the shipped catalogue, or it without the named templates."""

    def load(*without: str) -> None:
        with app.app_context():
            if not without:
                load_default(db.session)
            else:
                document = yaml.safe_load(default_catalog_path().read_text(encoding="utf-8"))
                for name in without:
                    del document["templates"][name]
                path = tmp_path / "catalog.yaml"
                path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
                load_catalog(db.session, path)
            db.session.commit()

    return load


@pytest.fixture
def assigned(
    app, clock, make_user, make_queue, make_office, make_conversation, make_ticket, add_message
):
    """An assigned ticket: the citizen wrote `hours_ago` hours ago and the agent's answer
    reached them ten minutes later. Returns (ticket number, agent id, citizen's address)."""

    def make(hours_ago: float) -> tuple[str, int, str]:
        start = clock.now()
        with app.app_context():
            office = db.session.scalar(sa.select(Office).order_by(Office.id).limit(1))
            office = office or make_office()
            queue = db.session.scalar(sa.select(Queue).order_by(Queue.id).limit(1)) or make_queue()
            agent = make_user(queues=[queue])
            clock.set(start - timedelta(hours=hours_ago))
            conversation = make_conversation(office=office)
            ticket = make_ticket(
                queue=queue, status="assigned", assignee=agent, conversation=conversation
            )
            asked = add_message(ticket, "in", "Mohon bantuan perubahan faskes.", status="processed")
            asked.processed_at = now()
            clock.advance(minutes=10)
            add_message(
                ticket, "out", "Baik, mohon kirim foto KTP.", status="delivered", author=agent
            )
            found = (ticket.number, agent.id, conversation.contact.address)
            db.session.commit()
        clock.set(start)
        return found

    return make


def resolved_and_sent(app, assigned, run_task, *, hours_ago: float) -> tuple[str, str]:
    """An `assigned` ticket resolved by its agent, and what that queued handed to the provider.
    Returns (ticket number, citizen's address)."""
    from pandawa.accounts.models import User

    number, agent_id, citizen = assigned(hours_ago=hours_ago)
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        resolve(db.session, ticket, db.session.get(User, agent_id))
        db.session.commit()
    send_pending(app, run_task)
    return number, citizen


def ticket_and_state(app, number: str) -> tuple[str, str]:
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        return ticket.status, db.session.get(Conversation, ticket.conversation_id).state


def template_sid(app, name: str) -> str:
    with app.app_context():
        return active_catalog().template(name).content_sid


# -- an agent resolves ------------------------------------------------------------------------


def test_inside_the_window_the_closing_text_and_question_go_as_free_text(
    app, catalogue, assigned, run_task, twilio_fake
):
    catalogue()
    number, citizen = resolved_and_sent(app, assigned, run_task, hours_ago=2)

    [sent] = twilio_fake.sent_to(citizen)
    assert sent.content_sid is None and number in sent.body
    assert ticket_and_state(app, number) == ("resolved", "satisfaction")


def test_past_the_window_the_resolved_notice_goes_as_the_approved_template(
    app, catalogue, assigned, run_task, twilio_fake
):
    catalogue()
    number, citizen = resolved_and_sent(app, assigned, run_task, hours_ago=30)

    [sent] = twilio_fake.sent_to(citizen)
    assert sent.content_sid == template_sid(app, "ticket_resolved_notice")
    assert sent.body is None and "Body" not in sent.form
    assert json.loads(sent.content_variables) == {"1": number}
    # the console shows the template's text; no rating is awaited (none was asked)
    with app.app_context():
        [row] = db.session.scalars(
            sa.select(Message).where(Message.direction == "out", Message.author_id.is_(None))
        ).all()
        assert row.body.startswith(f"Tiket {number} BPJS Kesehatan telah selesai ditangani")
    assert ticket_and_state(app, number) == ("resolved", "idle")


@pytest.mark.parametrize("catalogue_state", ["without the template", "no catalogue at all"])
def test_past_the_window_without_the_template_nothing_is_sent_and_the_ticket_closes(
    app, catalogue, assigned, run_task, twilio_fake, catalogue_state
):
    if catalogue_state == "without the template":
        catalogue("ticket_resolved_notice")
    number, _citizen = resolved_and_sent(app, assigned, run_task, hours_ago=30)

    assert twilio_fake.messages == [] and twilio_fake.creations() == 0
    assert ticket_and_state(app, number)[0] == "resolved"
    with app.app_context():
        unsent = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Message)
            .where(Message.direction == "out", Message.status.in_(["pending", "held"]))
        )
        assert unsent == 0


# -- closed because the citizen stopped answering -----------------------------------------------


def test_an_idle_close_goes_as_the_approved_template(
    app, catalogue, assigned, run_task, twilio_fake
):
    catalogue()
    number, _agent, citizen = assigned(hours_ago=73)

    with app.app_context():
        assert idle.close_idle(db.session, now()) == 1
    send_pending(app, run_task)

    [sent] = twilio_fake.sent_to(citizen)
    assert sent.content_sid == template_sid(app, "ticket_idle_closed")
    assert sent.body is None and "Body" not in sent.form
    assert json.loads(sent.content_variables) == {"1": number}
    assert ticket_and_state(app, number)[0] == "resolved"


def test_an_idle_close_without_the_template_sends_nothing(
    app, catalogue, assigned, run_task, twilio_fake
):
    catalogue("ticket_idle_closed")
    number, _agent, _citizen = assigned(hours_ago=73)

    with app.app_context():
        assert idle.close_idle(db.session, now()) == 1
    send_pending(app, run_task)

    assert twilio_fake.messages == [] and twilio_fake.creations() == 0
    assert ticket_and_state(app, number)[0] == "resolved"
