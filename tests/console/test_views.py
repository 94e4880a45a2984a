"""The agents' console (pandawa/console/views.py): visibility, the work list, the ticket page
and its actions; on the embedded default (SQLite) too, as `pandawa dev` serves it."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import event

from pandawa.channels.models import Message
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.tickets import claims
from pandawa.tickets.models import Ticket
from tests.harness import csrf_token, reset_throttle, sign_in, with_password
from tests.statements import statements_sent

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def inbound(ticket: Ticket, body: str) -> Message:
    conversation = ticket.conversation_id
    message = Message(
        direction="in",
        provider="twilio",
        provider_message_id=f"SM{ticket.id:08d}{body[:4].encode().hex()}{len(body)}",
        sender="whatsapp:+6281234567890",
        recipient="whatsapp:+6281100000000",
        body=body,
        status="received",
        conversation_id=conversation,
        ticket_id=ticket.id,
        media=[],
        extra={},
        created_at=now(),
        updated_at=now(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def test_console_needs_sign_in(client, session):
    response = client.get("/console")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_csp_header_on_console_pages(signed_in):
    response = signed_in.get("/console")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "Content-Security-Policy" in signed_in.get("/login").headers


def test_work_view_lists_masked_numbers_and_previews(signed_in, agent, make_ticket):
    _user, queue = agent
    ticket = make_ticket(queue=queue)
    inbound(ticket, "Saya ingin mengurus KTP elektronik")
    contact = db.session.get(Ticket, ticket.id)
    page = signed_in.get("/console").get_data(as_text=True)
    assert f'<tr data-ticket="{ticket.number}"' in page
    assert '<main id="work" data-queues="KTP">' in page
    assert "Saya ingin mengurus KTP elektronik" in page
    address = db.session.execute(
        sa.text("select address from contact where id = :id"), {"id": contact.contact_id}
    ).scalar_one()
    digits = address.removeprefix("whatsapp:")
    assert digits not in page
    assert digits[:6] + "****" in page and digits[-4:] in page


def test_work_view_query_count_does_not_grow_with_tickets(signed_in, agent, make_ticket, app):
    _user, queue = agent

    def count_queries() -> int:
        statements: list[str] = []
        engine = db.engine

        def record(*_args, **_kw):
            statements.append("q")

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert signed_in.get("/console").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    inbound(make_ticket(queue=queue), "pesan pertama")
    count_queries()  # the first page of a session also records last_seen_at
    one = count_queries()
    for index in range(19):
        inbound(make_ticket(queue=queue), f"pesan {index}")
    twenty = count_queries()
    assert one == twenty


def test_agent_of_queue_a_gets_404_on_queue_b(signed_in, make_ticket, make_queue):
    other = make_ticket(queue=make_queue("PAJAK"))
    message = inbound(other, "rahasia")
    assert signed_in.get(f"/console/tickets/{other.number}").status_code == 404
    assert signed_in.get(f"/console/tickets/{other.number}/media/{message.id}/0").status_code == 404
    assert signed_in.get("/console/tickets/PDW-NOPE").status_code == 404


def test_supervisor_sees_every_queue(client, session, make_user, make_ticket, make_queue):
    boss = with_password(make_user("spv@example.go.id", role="supervisor"))
    ticket = make_ticket(queue=make_queue("PAJAK"))
    sign_in(client, boss.email)
    assert client.get(f"/console/tickets/{ticket.number}").status_code == 200
    assert ticket.number in client.get("/console").get_data(as_text=True)


def test_claim_next_redirects_to_the_ticket_and_assigns_it(signed_in, agent, make_ticket):
    user, queue = agent
    ticket = make_ticket(queue=queue)
    token = csrf_token(signed_in, "/console")
    response = signed_in.post("/console/claim", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/tickets/{ticket.number}")
    db.session.expire_all()
    claimed = db.session.get(Ticket, ticket.id)
    assert claimed.status == "assigned" and claimed.assignee_id == user.id


def test_claim_is_one_statement_on_tickets(signed_in, agent, make_ticket):
    _, queue = agent
    ticket = make_ticket(queue=queue)
    token = csrf_token(signed_in, "/console")
    with statements_sent(db.engine) as statements:
        response = signed_in.post("/console/claim", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/console/tickets/{ticket.number}")
    # the claim statement answers the number: the ticket is not loaded again to redirect
    on_tickets = [s for s in statements if "ticket" in s]
    assert len(on_tickets) == 1 and "SKIP LOCKED" in on_tickets[0], statements


def test_claim_with_nothing_waiting_says_so(signed_in):
    token = csrf_token(signed_in, "/console")
    response = signed_in.post("/console/claim", data={"csrf_token": token}, follow_redirects=True)
    assert "Tidak ada tiket menunggu" in response.get_data(as_text=True)


def test_posts_without_csrf_are_refused(signed_in, agent, make_ticket):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    assert signed_in.post("/console/claim").status_code == 400
    response = signed_in.post(f"/console/tickets/{ticket.number}/reply", data={"body": "halo"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).where(Message.ticket_id == ticket.id)) == 0


def test_reply_writes_a_pending_outbound_message_to_the_citizen(signed_in, agent, make_ticket):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    path = f"/console/tickets/{ticket.number}"
    token = csrf_token(signed_in, path)
    response = signed_in.post(
        f"{path}/reply", data={"body": "Baik, kami bantu.", "csrf_token": token}
    )
    assert response.status_code == 302
    row = db.session.scalar(sa.select(Message).where(Message.ticket_id == ticket.id))
    contact_address = db.session.execute(
        sa.text("select address from contact where id = :id"), {"id": ticket.contact_id}
    ).scalar_one()
    assert row.direction == "out" and row.status == "pending"
    assert row.recipient == contact_address and row.author_id == user.id
    assert "Baik, kami bantu." in signed_in.get(path).get_data(as_text=True)


def test_citizen_html_is_shown_as_text(signed_in, agent, make_ticket):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    inbound(ticket, XSS)
    for path in ("/console", f"/console/tickets/{ticket.number}"):
        page = signed_in.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_note_never_reaches_the_outbox(signed_in, agent, make_ticket):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    path = f"/console/tickets/{ticket.number}"
    token = csrf_token(signed_in, path)
    signed_in.post(f"{path}/note", data={"body": "Warga sudah 2x datang", "csrf_token": token})
    rows = list(db.session.scalars(sa.select(Message).where(Message.ticket_id == ticket.id)))
    assert [(m.is_internal_note, m.status) for m in rows] == [(True, "note")]
    assert not db.session.scalar(
        sa.select(sa.func.count()).where(Message.status.in_(["pending", "sending", "held"]))
    )
    page = signed_in.get(path).get_data(as_text=True)
    assert re.search(r'class="bubble note".*Warga sudah 2x datang', page, re.S)


def test_transfer_with_a_reason(signed_in, agent, make_ticket, make_queue):
    user, queue = agent
    target = make_queue("PAJAK")
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    path = f"/console/tickets/{ticket.number}"
    token = csrf_token(signed_in, path)
    response = signed_in.post(
        f"{path}/transfer", data={"queue": "PAJAK", "reason": "soal pajak", "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Ticket, ticket.id)
    assert moved.queue_id == target.id and moved.status == "waiting" and moved.assignee_id is None
    # out of the agent's queues now: as if it did not exist
    assert signed_in.get(path).status_code == 404


def test_resolve(signed_in, agent, make_ticket):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    path = f"/console/tickets/{ticket.number}"
    token = csrf_token(signed_in, path)
    response = signed_in.post(
        f"{path}/resolve", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True
    )
    assert "ditandai selesai" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "resolved"


def test_agent_cannot_act_on_a_ticket_someone_else_holds(signed_in, agent, make_ticket, make_user):
    _user, queue = agent
    other = make_user(queues=[queue])
    ticket = make_ticket(queue=queue, status="assigned", assignee=other)
    path = f"/console/tickets/{ticket.number}"
    page = signed_in.get(path).get_data(as_text=True)
    assert 'id="reply"' not in page
    token = csrf_token(signed_in, path)
    signed_in.post(f"{path}/resolve", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "assigned"


def test_ticket_page_shows_window_details_and_canned(signed_in, agent, make_ticket):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    ticket.details = {"nik": "3174010101010001", "layanan": "KTP"}
    db.session.flush()
    page = signed_in.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    # masked even for the holder: the full NIK is one deliberate (audited) click away
    assert "3174010101010001" not in page and "3174********0001" in page
    assert 'data-reveal="details.nik"' in page
    # the deadline in the Indonesian form, in the office's zone
    assert re.search(
        r"Jendela 24 jam terbuka sampai (Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), "
        r"\d{1,2} [A-Z][a-z]+ \d{4} pukul \d\d\.\d\d WI(B|TA|T)\.",
        page,
    )
    # the answers themselves: tests/console/test_canned_editor.py (the shipped ones are rows
    # now, gone from this database after any test that empties every table)
    assert ticket.number in page
    assert '<ol id="conversation" data-ticket="' + ticket.number + '">' in page


def test_presence_is_chosen_in_the_header(signed_in):
    token = csrf_token(signed_in, "/console")
    signed_in.post("/console/presence", data={"presence": "away", "csrf_token": token})
    page = signed_in.get("/console").get_data(as_text=True)
    assert '<option value="away" selected>' in page


def _bot_exchange(ticket: Ticket, clock, minutes_before: int, direction: str, body: str):
    at = now() - timedelta(minutes=minutes_before)
    message = Message(
        direction=direction,
        provider="twilio",
        provider_message_id=f"SM{ticket.id:06d}{minutes_before:04d}{direction}",
        sender="whatsapp:+6281234567890" if direction == "in" else "whatsapp:+6281100000000",
        recipient="whatsapp:+6281100000000" if direction == "in" else "whatsapp:+6281234567890",
        body=body,
        status="processed" if direction == "in" else "delivered",
        conversation_id=ticket.conversation_id,
        ticket_id=None,
        media=[],
        extra={},
        created_at=at,
        updated_at=at,
    )
    db.session.add(message)
    db.session.flush()
    return message


def test_ticket_page_shows_the_exchange_with_the_bot_before_the_ticket(
    signed_in, agent, make_ticket, make_user, clock
):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="waiting")
    _bot_exchange(ticket, clock, 60 * 30, "in", "pesan kemarin lusa")  # too old to matter
    _bot_exchange(ticket, clock, 5, "out", "Mohon kirim NIK peserta (16 digit angka).")
    _bot_exchange(ticket, clock, 4, "in", "NIK saya 3174010101010001")
    ticket.details = {"service": "Perubahan faskes (FKTP)", "new_facility": "Puskesmas Menteng"}
    db.session.flush()

    page = signed_in.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)

    assert "Sebelum tiket dibuat" in page
    before = page[page.index("Sebelum tiket dibuat") : page.index('<ol id="conversation"')]
    assert "Mohon kirim NIK peserta" in before
    assert before.index("Mohon kirim NIK") < before.index("NIK saya")
    assert "pesan kemarin lusa" not in page
    # the ticket waits in the agent's queue but is not theirs: the NIK they typed is masked
    assert "3174010101010001" not in page
    # the details carry their names, not the catalogue's field keys
    assert "<dt>Layanan</dt>" in page and "<dt>Faskes tujuan</dt>" in page
    assert "<dt>new_facility</dt>" not in page

    claims.claim_next(db.session, user)
    db.session.flush()
    page = signed_in.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    # the holder too sees it masked, with a button to reveal it
    assert "3174010101010001" not in page and "3174********0001" in page


def test_work_view_pages_hold_mine_first_then_oldest(signed_in, agent, make_ticket, clock):
    user, queue = agent
    waiting = []
    for _ in range(3):
        waiting.append(make_ticket(queue=queue))
        clock.advance(minutes=1)
    held = make_ticket(queue=queue, status="assigned", assignee=user)
    page = signed_in.get("/console").get_data(as_text=True)
    positions = [page.index(t.number) for t in [held, *waiting]]
    assert positions == sorted(positions)


def test_work_view_claim_and_ticket_on_each_database(
    database, make_queue, make_user, make_ticket, add_message
):
    with database.app_context():
        queue = make_queue()
        email = with_password(make_user(queues=[queue])).email
        ticket = make_ticket(queue=queue)
        add_message(ticket, "in", "Saya mau pindah faskes <b>segera</b>")
        number = ticket.number
        db.session.commit()
        db.session.remove()
    reset_throttle(database)
    client = database.test_client()
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
