"""The console on the embedded default (SQLite), as `pandawa dev` serves it."""

from __future__ import annotations

from pandawa.core.extensions import db
from tests.harness import csrf_token, reset_throttle, sign_in, with_password


def test_work_view_claim_and_ticket_on_sqlite(
    sqlite_app, make_queue, make_user, make_ticket, add_message
):
    with sqlite_app.app_context():
        queue = make_queue()
        email = with_password(make_user(queues=[queue])).email
        ticket = make_ticket(queue=queue)
        add_message(ticket, "in", "Saya mau pindah faskes <b>segera</b>")
        number = ticket.number
        db.session.commit()
        db.session.remove()
    reset_throttle(sqlite_app)
    client = sqlite_app.test_client()
    sign_in(client, email)

    work = client.get("/console")
    assert work.status_code == 200
    page = work.get_data(as_text=True)
    assert number in page
    # the last message's preview, shown as text
    assert "Saya mau pindah faskes &lt;b&gt;segera&lt;/b&gt;" in page

    claimed = client.post("/console/claim", data={"csrf_token": csrf_token(client, "/console")})
    assert claimed.headers["Location"].endswith(f"/console/tickets/{number}")
    view = client.get(f"/console/tickets/{number}")
    assert view.status_code == 200
    assert "Saya mau pindah faskes" in view.get_data(as_text=True)
