"""Resolve with a question first and a short way back (issue 16), with real commits: the
citizen's closing message and rating question wait for the undo period (the named task
`tickets.announce_resolved`, published through the outbox with that countdown), an undone
resolution is never told, a told one is never undone, and the task tells once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.core import outbox
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.provisioning.operations import load_default
from pandawa.tickets import tasks as ticket_tasks
from pandawa.tickets.models import Ticket
from tests.channels import conftest as channel_fixtures
from tests.harness import csrf_token, reset_throttle, sign_in, with_password

pytestmark = pytest.mark.usefixtures("live_db")
run_task = channel_fixtures.run_task  # the task run in this process as a worker runs it
TASK = ticket_tasks.announce_resolved.name  # "tickets.announce_resolved", registered by import


@pytest.fixture
def desk(app, make_queue, make_user, make_ticket, make_conversation):
    """An assigned ticket whose citizen wrote ten minutes ago (the window is open), its agent
    signed in. Returns (client, ticket number, agent email)."""
    with app.app_context():
        load_default(db.session)
        queue = make_queue()
        agent = with_password(make_user(queues=[queue]))
        conversation = make_conversation()
        conversation.last_inbound_at = now() - timedelta(minutes=10)
        ticket = make_ticket(
            queue=queue, status="assigned", assignee=agent, conversation=conversation
        )
        number, email = ticket.number, agent.email
        db.session.commit()
        db.session.remove()
    reset_throttle(app)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client, number, email


def post(client, number: str, action: str, **form):
    path = f"/console/tickets/{number}"
    token = csrf_token(client, "/console")
    return client.post(f"{path}/{action}", data={"csrf_token": token, **form})


def state(app, number: str):
    """(status, holder's email, resolved_at, outbound messages to the citizen, bot state)."""
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        told = db.session.scalars(
            sa.select(Message.body).where(
                Message.ticket_id == ticket.id, Message.direction == "out"
            )
        ).all()
        conversation = db.session.get(Conversation, ticket.conversation_id)
        holder = ticket.assignee.email if ticket.assignee else None
        found = (ticket.status, holder, ticket.resolved_at, list(told), conversation.state)
        db.session.remove()
        return found


def announcements(app) -> list[tuple[list, dict]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(outbox.TABLE.c.args, outbox.TABLE.c.options)
            .where(outbox.TABLE.c.name == TASK)
            .order_by(outbox.TABLE.c.id)
        ).all()
        db.session.remove()
        return [(list(args), options or {}) for args, options in rows]


def closing_text(app, number: str) -> str:
    with app.app_context():
        return active_catalog().text("ticket_resolved", "id", ticket=number)


def test_resolve_without_confirmation_asks_and_changes_nothing(app, desk):
    client, number, _ = desk
    response = post(client, number, "resolve")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Tandai tiket {number} selesai?" in page
    assert 'name="confirm" value="yes"' in page and "10 detik" in page
    assert state(app, number)[0] == "assigned"
    # the ticket page carries the same question in a <dialog> for the script to open
    ticket_page = client.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert (
        '<dialog id="resolve-dialog"' in ticket_page
        and 'data-dialog="resolve-dialog"' in ticket_page
    )


def test_undo_within_the_period_reopens_as_it_was_and_the_citizen_is_never_told(
    app, clock, desk, run_task
):
    client, number, email = desk
    response = post(client, number, "resolve", confirm="yes")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console")
    status, _, resolved_at, told, _ = state(app, number)
    assert status == "resolved" and resolved_at is not None and told == []
    [(args, options)] = announcements(app)
    assert options == {"countdown": 10}
    work = client.get("/console").get_data(as_text=True)
    assert f"Tiket {number} ditandai selesai." in work
    assert f'action="/console/tickets/{number}/undo-resolve"' in work and "Urungkan" in work

    clock.advance(seconds=6)
    undone = post(client, number, "undo-resolve")
    assert undone.headers["Location"].endswith(f"/console/tickets/{number}")
    page = client.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert f"Penyelesaian tiket {number} diurungkan" in page
    assert state(app, number)[:3] == ("assigned", email, None)
    with app.app_context():
        audit = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "resolve_undone")
        ).all()
        assert [(a.ticket_number, a.actor_label) for a in audit] == [(number, email)]
        db.session.remove()

    # the delayed announcement finds the resolution gone: nothing reaches the citizen
    clock.advance(seconds=5)
    with app.app_context():
        assert run_task(TASK, *args).result is False
    _, _, _, told, bot_state = state(app, number)
    assert told == [] and bot_state != "satisfaction"


def test_after_the_period_the_citizen_is_told_once_and_undo_is_refused(app, clock, desk, run_task):
    client, number, _ = desk
    post(client, number, "resolve", confirm="yes")
    [(args, _)] = announcements(app)
    clock.advance(seconds=11)
    assert "Urungkan" not in client.get("/console").get_data(as_text=True)  # the offer is gone
    refused = post(client, number, "undo-resolve")
    assert refused.headers["Location"].endswith(f"/console/tickets/{number}")
    page = client.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert "tidak dapat diurungkan lagi" in page
    assert state(app, number)[0] == "resolved"

    with app.app_context():
        assert run_task(TASK, *args).result is True
        assert run_task(TASK, *args).result is False  # published twice: told once
    status, _, _, told, bot_state = state(app, number)
    assert status == "resolved" and bot_state == "satisfaction"
    assert len(told) == 1 and closing_text(app, number) in told[0]


def test_an_announcement_already_made_cannot_be_undone(app, clock, desk, run_task):
    """The task ran (a worker's clock a little ahead): the citizen is told, so no undo."""
    client, number, _ = desk
    post(client, number, "resolve", confirm="yes")
    [(args, _)] = announcements(app)
    with app.app_context():
        assert run_task(TASK, *args).result is True
    post(client, number, "undo-resolve")
    assert state(app, number)[0] == "resolved"


def test_resolved_again_after_an_undo_is_told_once_for_the_second_resolution(
    app, clock, desk, run_task
):
    client, number, _ = desk
    post(client, number, "resolve", confirm="yes")
    clock.advance(seconds=3)
    post(client, number, "undo-resolve")
    clock.advance(seconds=3)
    post(client, number, "resolve", confirm="yes")
    (first, _), (second, _) = announcements(app)
    clock.advance(seconds=11)
    with app.app_context():
        assert run_task(TASK, *first).result is False  # that resolution was undone
        assert run_task(TASK, *second).result is True
    assert len(state(app, number)[3]) == 1


def test_only_the_agent_who_resolved_or_a_supervisor_may_undo(app, desk, make_user):
    client, number, _ = desk
    post(client, number, "resolve", confirm="yes")
    with app.app_context():
        queue = db.session.scalar(sa.select(Ticket).where(Ticket.number == number)).queue
        other = with_password(make_user(queues=[queue])).email
        db.session.commit()
        db.session.remove()
    colleague = app.test_client()
    assert sign_in(colleague, other).status_code == 302
    post(colleague, number, "undo-resolve")
    assert "Hanya petugas yang menyelesaikan" in colleague.get(
        f"/console/tickets/{number}"
    ).get_data(as_text=True)
    assert state(app, number)[0] == "resolved"


def test_undo_needs_the_csrf_token_and_is_404_for_another_queues_agent(
    app, desk, make_user, make_queue
):
    client, number, _ = desk
    post(client, number, "resolve", confirm="yes")
    assert client.post(f"/console/tickets/{number}/undo-resolve").status_code == 400
    with app.app_context():
        stranger = with_password(make_user(queues=[make_queue()])).email
        db.session.commit()
        db.session.remove()
    outsider = app.test_client()
    assert sign_in(outsider, stranger).status_code == 302
    assert post(outsider, number, "undo-resolve").status_code == 404
    assert post(outsider, number, "resolve").status_code == 404
    assert state(app, number)[0] == "resolved"
