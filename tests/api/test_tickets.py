"""The ticket endpoints as an agent's or a supervisor's client sees them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.tickets.models import TicketEvent
from tests.statements import statements_sent


@pytest.fixture
def desk(session, make_queue, make_user, bearer):
    """Two queues; an agent of A (with a colleague) and a supervisor."""

    class Desk:
        a = make_queue()
        b = make_queue()
        agent = make_user(queues=[a])
        colleague = make_user(queues=[a])
        supervisor = make_user(role="supervisor")

    Desk.agent_h = bearer(Desk.agent)
    Desk.colleague_h = bearer(Desk.colleague)
    Desk.supervisor_h = bearer(Desk.supervisor)
    return Desk


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["number"] for item in response.json["items"]]


def _error_code(response) -> str:
    return response.json["error"]["code"]


# -- visibility ------------------------------------------------------------------------------


def test_agent_gets_404_for_another_queues_ticket(client, desk, make_ticket):
    theirs = make_ticket(queue=desk.b)
    held = make_ticket(queue=desk.b, status="assigned", assignee=desk.supervisor)
    h = desk.agent_h

    for response in (
        client.get(f"/api/v1/tickets/{theirs.number}", headers=h),
        client.post(f"/api/v1/tickets/{held.number}/messages", json={"body": "Halo"}, headers=h),
        client.post(f"/api/v1/tickets/{held.number}/resolve", headers=h),
        client.post(
            f"/api/v1/tickets/{held.number}/transfer", json={"queue": desk.a.code}, headers=h
        ),
        client.get("/api/v1/tickets/PDW-000000-NOSUCH", headers=h),
    ):
        assert response.status_code == 404
        assert _error_code(response) == "not_found"
    assert _numbers(client.get("/api/v1/tickets", headers=h)) == []
    assert _numbers(client.get(f"/api/v1/tickets?queue={desk.b.code}", headers=h)) == []
    codes = [q["code"] for q in client.get("/api/v1/queues", headers=h).json["items"]]
    assert codes == [desk.a.code]
    assert held.status == "assigned"  # nothing was done to it


def test_supervisor_sees_every_queue(client, desk, make_ticket):
    in_a, in_b = make_ticket(queue=desk.a), make_ticket(queue=desk.b)
    assert _numbers(client.get("/api/v1/tickets", headers=desk.supervisor_h)) == [
        in_a.number,
        in_b.number,
    ]
    assert (
        client.get(f"/api/v1/tickets/{in_b.number}", headers=desk.supervisor_h).status_code == 200
    )
    codes = {
        q["code"] for q in client.get("/api/v1/queues", headers=desk.supervisor_h).json["items"]
    }
    assert {desk.a.code, desk.b.code} <= codes


def test_queue_counts(client, desk, make_ticket):
    make_ticket(queue=desk.a)
    make_ticket(queue=desk.a)
    make_ticket(queue=desk.a, status="deferred")
    make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    make_ticket(queue=desk.a, status="resolved")
    response = client.get("/api/v1/queues", headers=desk.agent_h)
    assert response.json["next_cursor"] is None
    (queue,) = response.json["items"]
    assert queue["code"] == desk.a.code
    assert queue["name"] == f"Antrean {desk.a.code}"
    assert (queue["waiting"], queue["deferred"], queue["assigned"]) == (2, 1, 1)


# -- lists -----------------------------------------------------------------------------------


def test_list_shows_open_tickets_by_default_and_filters_by_status(client, desk, make_ticket):
    waiting = make_ticket(queue=desk.a)
    deferred = make_ticket(queue=desk.a, status="deferred")
    resolved = make_ticket(queue=desk.a, status="resolved")
    cancelled = make_ticket(queue=desk.a, status="cancelled")
    h = desk.agent_h

    assert _numbers(client.get("/api/v1/tickets", headers=h)) == [waiting.number, deferred.number]
    assert _numbers(client.get("/api/v1/tickets?status=resolved", headers=h)) == [resolved.number]
    assert _numbers(client.get("/api/v1/tickets?status=resolved,cancelled", headers=h)) == [
        resolved.number,
        cancelled.number,
    ]
    assert _numbers(
        client.get(f"/api/v1/tickets?status=deferred&queue={desk.a.code}", headers=h)
    ) == [deferred.number]
    bad = client.get("/api/v1/tickets?status=open", headers=h)
    assert (bad.status_code, _error_code(bad)) == (400, "invalid_parameter")


def test_list_pages_with_a_cursor(client, desk, make_ticket):
    numbers = [make_ticket(queue=desk.a).number for _ in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/tickets?limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=desk.agent_h)
        page = _numbers(response)
        assert len(page) <= 2
        seen += page
        pages += 1
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == numbers
    assert pages == 3
    for query, code in [
        ("cursor=%%%", "invalid_cursor"),
        ("limit=0", "invalid_parameter"),
        ("limit=abc", "invalid_parameter"),
    ]:
        response = client.get(f"/api/v1/tickets?{query}", headers=desk.agent_h)
        assert (response.status_code, _error_code(response)) == (400, code)


def test_list_does_not_query_per_ticket(app, client, desk, make_ticket):
    from pandawa.core.extensions import db

    def run(n: int) -> int:
        for _ in range(n):
            make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
        client.get("/api/v1/queues", headers=desk.agent_h)  # the token's use is now recorded
        with statements_sent(db.engine) as sent:
            assert client.get("/api/v1/tickets", headers=desk.agent_h).status_code == 200
        return len(sent)

    assert run(1) == run(10) == 2  # the token, the page


# -- detail ----------------------------------------------------------------------------------


def test_ticket_detail_shape_and_messages(client, desk, make_ticket, add_message):
    ticket = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    first = add_message(ticket, "in", "Saya mau ubah faskes <script>alert(1)</script>")
    second = add_message(
        ticket, "out", "Baik, Bu.", author=desk.agent, status="failed", error_code="63016"
    )
    note = add_message(ticket, "out", "cek NIK dulu", author=desk.agent, note=True)

    response = client.get(f"/api/v1/tickets/{ticket.number.lower()}", headers=desk.agent_h)

    assert response.status_code == 200
    data = response.json
    assert data["number"] == ticket.number
    assert (data["status"], data["queue"], data["assignee"]) == (
        "assigned",
        desk.a.code,
        desk.agent.email,
    )
    assert data["office"].startswith("OFF")
    assert data["contact"]["name"] == "Siti Rahayu"
    assert data["contact"]["address"].startswith("whatsapp:+62812")
    assert set(data["contact"]) == {"id", "name", "address"}
    assert data["created_at"] == "2026-12-01T03:00:00+00:00"
    assert data["released_at"] == data["created_at"]
    assert data["first_response_at"] is None and data["resolved_at"] is None
    assert data["satisfaction"] is None
    assert [m["id"] for m in data["messages"]] == [first.id, second.id, note.id]
    inbound, outbound, internal = data["messages"]
    assert inbound["direction"] == "in"
    assert inbound["body"] == "Saya mau ubah faskes <script>alert(1)</script>"
    assert "status" not in inbound and inbound["author"] is None
    assert (outbound["direction"], outbound["status"], outbound["error_code"]) == (
        "out",
        "failed",
        "63016",
    )
    assert outbound["author"] == desk.agent.email
    assert internal["is_internal_note"] is True
    assert outbound["created_at"].endswith("+00:00")


def test_claim_answers_what_the_detail_view_shows(client, desk, make_ticket, add_message):
    ticket = make_ticket(queue=desk.a)
    add_message(ticket, "in", "Mohon bantuan pindah faskes")
    add_message(ticket, "out", "Catatan: cek data", author=desk.colleague, note=True)

    claimed = client.post("/api/v1/tickets/claim", headers=desk.agent_h)
    detail = client.get(f"/api/v1/tickets/{ticket.number}", headers=desk.agent_h)

    assert claimed.status_code == 200 and detail.status_code == 200
    assert claimed.json == detail.json
    assert (claimed.json["status"], claimed.json["assignee"]) == ("assigned", desk.agent.email)
    assert [m["body"] for m in claimed.json["messages"]] == [
        "Mohon bantuan pindah faskes",
        "Catatan: cek data",
    ]
    # the citizen wrote just now (10:00 WIB, 1 December): free-form replies for 24 hours
    assert claimed.json["window"] == {"is_open": True, "closes_at": "2026-12-02T03:00:00+00:00"}


def test_a_claim_a_day_after_the_citizen_wrote_shows_the_window_closed(
    client, clock, desk, make_ticket, add_message
):
    ticket = make_ticket(queue=desk.a)
    add_message(ticket, "in", "Mohon bantuan pindah faskes")
    clock.advance(hours=24)  # the window closes exactly 24 hours after the citizen's message

    claimed = client.post("/api/v1/tickets/claim", headers=desk.agent_h)

    assert claimed.status_code == 200
    assert claimed.json["window"] == {"is_open": False, "closes_at": "2026-12-02T03:00:00+00:00"}


def test_claim_runs_the_same_statements_however_long_the_conversation(
    app, client, clock, desk, make_ticket, add_message
):
    from pandawa.core.extensions import db

    def run(messages: int) -> int:
        ticket = make_ticket(queue=desk.a)
        for i in range(messages):
            add_message(ticket, "in", f"pesan {i}")
        # the token's use is recorded and committed now (with the messages' live events)
        clock.advance(minutes=2)
        client.get("/api/v1/queues", headers=desk.agent_h)
        with statements_sent(db.engine) as sent:
            assert client.post("/api/v1/tickets/claim", headers=desk.agent_h).status_code == 200
        return len(sent)

    # the token, the claim, the ticket with its contact, messages, its checklist (issue 17)
    assert run(1) == run(12) == 5


# -- reply -----------------------------------------------------------------------------------


def test_reply_is_accepted_and_queued_for_the_citizen(session, client, clock, desk, make_ticket):
    ticket = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    clock.advance(minutes=2)

    response = client.post(
        f"/api/v1/tickets/{ticket.number}/messages",
        json={"body": "Selamat siang, ada yang bisa kami bantu?"},
        headers=desk.agent_h,
    )

    assert response.status_code == 202
    body = response.json
    assert (body["direction"], body["status"], body["author"]) == (
        "out",
        "pending",
        desk.agent.email,
    )
    row = session.get(Message, body["id"])
    citizen = session.get(Contact, ticket.contact_id)
    assert (row.direction, row.status) == ("out", "pending")
    assert row.body == "Selamat siang, ada yang bisa kami bantu?"
    assert row.recipient == citizen.address
    assert (row.ticket_id, row.author_id) == (ticket.id, desk.agent.id)
    session.refresh(ticket)
    assert ticket.first_response_at == clock.now()
    kinds = session.scalars(sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id))
    assert list(kinds) == ["replied"]


def test_long_reply_becomes_several_messages(client, desk, make_ticket):
    ticket = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    text = "\n\n".join(["Paragraf penjelasan iuran. " * 40] * 3)  # ~3,200 characters
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/messages", json={"body": text}, headers=desk.agent_h
    )
    assert response.status_code == 202
    assert len(response.json["parts"]) >= 2
    assert response.json["id"] == response.json["parts"][0]["id"]


def test_reply_refusals(client, desk, make_ticket):
    held = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    waiting = make_ticket(queue=desk.a)
    closed = make_ticket(queue=desk.a, status="resolved")
    url = "/api/v1/tickets/{}/messages"

    cases = [
        (desk.colleague_h, held, {"json": {"body": "Halo"}}, 409, "not_holder"),
        (desk.agent_h, waiting, {"json": {"body": "Halo"}}, 409, "not_holder"),
        (desk.agent_h, closed, {"json": {"body": "Halo"}}, 409, "ticket_closed"),
        (desk.agent_h, held, {"json": {"body": "   "}}, 422, "invalid_body"),
        (desk.agent_h, held, {"json": {}}, 422, "invalid_body"),
        (desk.agent_h, held, {"json": ["Halo"]}, 400, "invalid_json"),
        (
            desk.agent_h,
            held,
            {"data": "{not json", "content_type": "application/json"},
            400,
            "invalid_json",
        ),
    ]
    for headers, ticket, kw, status, code in cases:
        response = client.post(url.format(ticket.number), headers=headers, **kw)
        assert (response.status_code, _error_code(response)) == (status, code), (ticket.status, kw)


def test_supervisor_may_reply_on_an_agents_ticket(client, desk, make_ticket):
    ticket = make_ticket(queue=desk.b, status="assigned", assignee=desk.agent)
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/messages",
        json={"body": "Halo"},
        headers=desk.supervisor_h,
    )
    assert response.status_code == 202


# -- transfer and resolve ----------------------------------------------------------------------


def test_transfer_to_unknown_queue_is_422(client, desk, make_ticket):
    ticket = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    for payload in ({"queue": "NOPE"}, {"queue": ""}, {}):
        response = client.post(
            f"/api/v1/tickets/{ticket.number}/transfer", json=payload, headers=desk.agent_h
        )
        assert (response.status_code, _error_code(response)) == (422, "unknown_queue")
    assert ticket.status == "assigned"


def test_transfer_puts_the_ticket_back_to_waiting_in_the_new_queue(
    session, client, desk, make_ticket
):
    ticket = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    released = ticket.released_at

    response = client.post(
        f"/api/v1/tickets/{ticket.number}/transfer",
        json={"queue": desk.b.code, "reason": "pengaduan"},
        headers=desk.agent_h,
    )

    assert response.status_code == 200
    assert (response.json["status"], response.json["queue"], response.json["assignee"]) == (
        "waiting",
        desk.b.code,
        None,
    )
    session.refresh(ticket)
    assert (ticket.status, ticket.queue_id, ticket.released_at) == ("waiting", desk.b.id, released)
    event = session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).one()
    assert event.kind == "transferred"
    assert event.data == {"from": desk.a.code, "to": desk.b.code, "reason": "pengaduan"}
    # the agent is not in queue B: the ticket is out of their sight now
    assert client.get(f"/api/v1/tickets/{ticket.number}", headers=desk.agent_h).status_code == 404


def test_transfer_by_a_colleague_who_does_not_hold_it_is_409(client, desk, make_ticket):
    ticket = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/transfer",
        json={"queue": desk.b.code},
        headers=desk.colleague_h,
    )
    assert (response.status_code, _error_code(response)) == (409, "not_holder")


def test_resolve(session, client, clock, desk, make_ticket):
    ticket = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    clock.advance(minutes=15)

    response = client.post(f"/api/v1/tickets/{ticket.number}/resolve", headers=desk.agent_h)

    assert response.status_code == 200
    assert response.json["status"] == "resolved"
    assert response.json["resolved_at"] == "2026-12-01T03:15:00+00:00"
    session.refresh(ticket)
    assert ticket.status == "resolved"
    again = client.post(f"/api/v1/tickets/{ticket.number}/resolve", headers=desk.agent_h)
    assert (again.status_code, _error_code(again)) == (409, "ticket_closed")
    assert _numbers(client.get("/api/v1/tickets", headers=desk.agent_h)) == []


def test_a_message_being_sent_shows_as_pending(client, desk, make_ticket, add_message):
    """`sending` (a send task holds the row), `held` and `accepted` are ours, not the
    contract's: the client reads `pending`, `pending` and `queued`."""
    ticket = make_ticket(queue=desk.a, status="assigned", assignee=desk.agent)
    add_message(ticket, "out", "Sedang dikirim", author=desk.agent, status="sending")
    add_message(ticket, "out", "Menunggu jendela", author=desk.agent, status="held")
    add_message(ticket, "out", "Diterima penyedia", author=desk.agent, status="accepted")

    response = client.get(f"/api/v1/tickets/{ticket.number}", headers=desk.agent_h)

    assert response.status_code == 200
    assert [m["status"] for m in response.json["messages"]] == ["pending", "pending", "queued"]
