"""Block from the console and the blocked numbers page, on each database the product runs on
(PostgreSQL, and SQLite as `pandawa dev` serves it: batch-mode migration, window function)."""

from __future__ import annotations

from pandawa.citizens.models import Contact
from pandawa.core.extensions import db
from pandawa.tickets.models import Ticket
from tests.harness import csrf_token, reset_throttle, sign_in, with_password


def test_block_and_list_on_each_database(database, make_queue, make_user, make_ticket, add_message):
    with database.app_context():
        queue = make_queue()
        agent = with_password(make_user(queues=[queue]))
        supervisor = with_password(make_user(role="supervisor"))
        ticket = make_ticket(queue=queue)
        number, ticket_id, contact_id = ticket.number, ticket.id, ticket.contact_id
        emails = (agent.email, supervisor.email)
        db.session.commit()
        db.session.remove()
    reset_throttle(database)
    client = database.test_client()
    sign_in(client, emails[0])
    path = f"/console/tickets/{number}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/block", data={"reason": "spam berulang", "csrf_token": token})
    assert response.status_code == 302

    with database.app_context():
        add_message(db.session.get(Ticket, ticket_id), "in", "spam lagi")
        db.session.commit()
        db.session.remove()
    supervisor_client = database.test_client()
    sign_in(supervisor_client, emails[1])
    page = supervisor_client.get("/dashboard/blocked").get_data(as_text=True)
    assert f'data-contact="{contact_id}"' in page and "spam berulang" in page
    assert "spam lagi" in page
    with database.app_context():
        assert db.session.get(Contact, contact_id).blocked_at is not None
        db.session.remove()
