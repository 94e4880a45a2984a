"""GET /api/v1/tickets as a search (q, field, from, to): an API client finds what the console
finds — masked, within its user's queues, newest first, page by page."""

from __future__ import annotations

import pytest

from tests.factories import add_conversation


@pytest.fixture
def desk(session, make_queue, make_user, make_office, make_ticket, add_message, bearer):
    class Desk:
        a = make_queue()
        b = make_queue()
        agent = make_user(queues=[a])
        supervisor = make_user(role="supervisor")
        office = make_office()

    siti = add_conversation(session, Desk.office, "whatsapp:+6281234567890", name="Siti Rahayu")
    Desk.mine = make_ticket(queue=Desk.a, conversation=siti, status="resolved")
    add_message(Desk.mine, body="gmn cara pindah faskes")
    made = add_conversation(session, Desk.office, "whatsapp:+6281399990000", name="Made")
    Desk.theirs = make_ticket(queue=Desk.b, conversation=made)
    add_message(Desk.theirs, body="pindah faskes juga")
    Desk.agent_h = bearer(Desk.agent)
    Desk.supervisor_h = bearer(Desk.supervisor)
    return Desk


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["number"] for item in response.json["items"]]


def test_search_finds_resolved_tickets_masked(client, desk):
    response = client.get("/api/v1/tickets?q=7890&field=phone", headers=desk.agent_h)
    assert _numbers(response) == [desk.mine.number]
    item = response.json["items"][0]
    assert item["status"] == "resolved"
    assert item["contact"]["address"] == "whatsapp:+62812****7890"
    assert "6281234567890" not in response.get_data(as_text=True)


def test_search_stays_within_the_agents_queues(client, desk):
    assert _numbers(client.get("/api/v1/tickets?q=faskes&field=text", headers=desk.agent_h)) == [
        desk.mine.number
    ]
    assert (
        _numbers(client.get(f"/api/v1/tickets?q={desk.theirs.number}", headers=desk.agent_h)) == []
    )
    found = _numbers(client.get("/api/v1/tickets?q=faskes&field=text", headers=desk.supervisor_h))
    assert found == [desk.theirs.number, desk.mine.number]  # newest first


def test_search_with_status_dates_and_cursor(client, desk, make_ticket, add_message):
    for _ in range(3):
        add_message(make_ticket(queue=desk.a), body="surat keterangan")
    h = desk.agent_h
    first = client.get("/api/v1/tickets?q=keterangan&limit=2&from=2026-12-01", headers=h)
    assert len(_numbers(first)) == 2 and first.json["next_cursor"]
    rest = client.get(
        f"/api/v1/tickets?q=keterangan&limit=2&from=2026-12-01&cursor={first.json['next_cursor']}",
        headers=h,
    )
    assert len(_numbers(rest)) == 1 and rest.json["next_cursor"] is None
    assert _numbers(client.get("/api/v1/tickets?q=keterangan&to=2026-11-30", headers=h)) == []
    assert _numbers(client.get("/api/v1/tickets?q=faskes&status=waiting", headers=h)) == []


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("q=ab", "q"),
        ("q=siti&field=nik", "field"),
        ("from=2026-12-05&to=2026-12-01", "from"),
        ("from=yesterday", "from"),
        ("q=siti&status=open", "status"),
    ],
)
def test_bad_search_parameters_are_400_naming_them(client, desk, query, name):
    response = client.get(f"/api/v1/tickets?{query}", headers=desk.agent_h)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameter"
    assert f"Invalid parameter {name}" in response.json["error"]["message"]


def test_search_parameters_are_documented(client):
    document = client.get("/api/v1/openapi.json").json
    names = {p["name"] for p in document["paths"]["/tickets"]["get"]["parameters"]}
    assert {"q", "field", "from", "to", "status", "queue", "cursor", "limit"} <= names


def test_a_phone_search_through_the_api_is_audited(client, desk, session):
    import sqlalchemy as sa

    from pandawa.audit.models import AuditEvent

    client.get("/api/v1/tickets?q=7890&field=phone", headers=desk.agent_h)
    client.get("/api/v1/tickets?q=Rahayu&field=name", headers=desk.agent_h)
    rows = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "phone_search"))
    assert [(e.actor_id, e.details) for e in rows] == [(desk.agent.id, {"digits": 4, "results": 1})]
