"""The work list's "last message" is what the citizen last wrote — what they are waiting
about — not the bot's acknowledgement or an agent's answer after it; on both databases, in
the list's fixed number of queries, the latest inbound message found by an index."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from pandawa.core.extensions import db
from tests.harness import reset_throttle, sign_in, with_password


def test_the_list_shows_the_citizens_last_message(
    database, make_queue, make_user, make_ticket, add_message
):
    with database.app_context():
        queue = make_queue()
        agent = with_password(make_user(queues=[queue]))
        email = agent.email
        ticket = make_ticket(queue=queue)
        add_message(ticket, "in", "Halo, mau tanya")
        add_message(ticket, "in", "Kartu BPJS saya hilang, bagaimana <b>mengurusnya</b>?")
        add_message(ticket, "out", "Terima kasih, permohonan Anda kami teruskan ke petugas.")
        quiet = make_ticket(queue=queue)  # the citizen has not written on this one
        add_message(quiet, "out", "Pemberitahuan: antrean Anda nomor 3.")
        numbers = ticket.number, quiet.number
        db.session.commit()
        db.session.remove()
    reset_throttle(database)
    client = database.test_client()
    assert sign_in(client, email).status_code == 302

    page = client.get("/console").get_data(as_text=True)

    def preview(number: str) -> str:
        row = re.search(rf'<tr data-ticket="{number}".*?</tr>', page, re.S)
        assert row, page
        return re.search(r'class="preview col-preview">(.*?)</td>', row.group(0), re.S).group(1)

    shown = preview(numbers[0])
    assert "Kartu BPJS saya hilang, bagaimana &lt;b&gt;mengurusnya&lt;/b&gt;?" in shown
    assert "Terima kasih" not in page
    assert "Pemberitahuan" not in preview(numbers[1])


def test_the_latest_citizen_message_is_read_through_an_index(
    client_as, session, make_queue, make_user, make_ticket, add_message
):
    """On PostgreSQL the list's LATERAL subquery is planned on `ix_message_ticket_inbound`
    (sequential scans off: the tables of a test are too small for the planner to care)."""
    queue = make_queue()
    agent = make_user(queues=[queue])
    for _ in range(3):
        ticket = make_ticket(queue=queue)
        add_message(ticket, "in", "Halo")
        add_message(ticket, "out", "Baik")
    client = client_as(agent)
    captured: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if "LATERAL" in statement:
            captured.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/console").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if not captured:
        pytest.fail("the work list made no LATERAL query")
    statement, parameters = captured[0]
    connection = session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = "\n".join(
        row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)
    )
    assert "ix_message_ticket_inbound" in plan, plan
