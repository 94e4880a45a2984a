"""Surge mode on the board (issue 17): the badge with since/by, live vs cap and the surge's
deferred tickets, the forecast (arrivals vs servable today); a supervisor switches it on and off
(CSRF, audited), an agent gets 403, a queue she may not see is 404."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.tickets import surge
from pandawa.tickets.models import Queue
from tests.harness import csrf_token, reset_throttle, sign_in, with_password


@pytest.fixture(autouse=True)
def _throttle(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


@pytest.fixture
def desk(session, clock, make_office, make_queue, make_user, make_ticket, make_conversation):
    queue = make_queue("BANJIR")
    queue.live_capacity = 2
    agent = with_password(make_user("ani@example.go.id", queues=[queue]))
    agent.last_seen_at = clock.now()
    office = make_office()
    for status in ("waiting", "waiting"):
        make_ticket(queue=queue, status=status, conversation=make_conversation(office=office))
    for _ in range(3):
        ticket = make_ticket(
            queue=queue, status="deferred", conversation=make_conversation(office=office)
        )
        ticket.surge_deferred_at = clock.now()
    supervisor = with_password(make_user("sri@example.go.id", role="supervisor"))
    supervisor.name = "Sri Wahyuni"
    session.flush()
    return queue, agent, supervisor


def card(page: str, code: str) -> str:
    start = page.index(f'data-queue="{code}"')
    return page[start : page.index("</article>", start)]


def test_the_supervisor_switches_surge_on_and_the_board_shows_badge_and_forecast(
    session, client, desk
):
    queue, _agent, supervisor = desk
    assert sign_in(client, supervisor.email).status_code == 302
    before = card(client.get("/dashboard").get_data(as_text=True), queue.code)
    assert 'data-surge="off"' in before and "Aktifkan mode lonjakan" in before
    # 10:00–15:00 left, one agent of capacity 5, 10-minute handling: 150 servable today
    assert 'data-servable="150"' in before and 'data-arrivals="5"' in before

    path = f"/dashboard/surge/{queue.code}"
    assert client.post(path, data={"action": "on"}).status_code == 400  # no CSRF token
    token = csrf_token(client, "/dashboard")
    response = client.post(path, data={"action": "on", "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Mode lonjakan Antrean BANJIR aktif" in page
    on = card(page, queue.code)
    assert "MODE LONJAKAN" in on and "sejak 10.00 WIB oleh Sri Wahyuni" in on
    assert "Antrean langsung 2 / batas 2" in on
    assert 'data-surge-deferred="3"' in on
    assert "Matikan mode lonjakan" in on
    fragment = card(client.get("/dashboard/board").get_data(as_text=True), queue.code)
    assert 'data-surge="on"' in fragment  # the refreshing part shows it too

    client.post(path, data={"action": "off", "csrf_token": token})
    session.expire_all()
    assert session.get(Queue, queue.id).surge_since is None
    audit = session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.details).order_by(
            AuditEvent.id
        )
    ).all()
    surges = [(a, actor, d["queue"]) for a, actor, d in audit if a.startswith("surge")]
    assert surges == [
        ("surge_on", supervisor.id, "BANJIR"),
        ("surge_off", supervisor.id, "BANJIR"),
    ]


def test_a_surge_begun_by_the_rule_says_so_in_english(session, client, desk, clock):
    queue, _agent, supervisor = desk
    queue.surge_auto_ratio = 1.5
    surge.switch(session, queue, True, clock.now())
    assert sign_in(client, supervisor.email).status_code == 302
    client.set_cookie("lang", "en")
    on = card(client.get("/dashboard").get_data(as_text=True), queue.code)
    assert "SURGE MODE" in on and "by the automatic rule" in on
    assert "Live queue 2 / cap 2" in on
    assert "above 1.5 × what can be served" in on


def test_agents_get_403(session, client, desk):
    queue, agent, _supervisor = desk
    assert sign_in(client, agent.email).status_code == 302
    token = csrf_token(client, "/console")
    denied = client.post(
        f"/dashboard/surge/{queue.code}", data={"action": "on", "csrf_token": token}
    )
    assert denied.status_code == 403
    assert session.get(Queue, queue.id).surge_since is None


def test_an_unknown_queue_is_404_and_a_bad_action_400(session, client, desk):
    queue, _agent, supervisor = desk
    assert sign_in(client, supervisor.email).status_code == 302
    token = csrf_token(client, "/dashboard")
    missing = client.post("/dashboard/surge/NOPE", data={"action": "on", "csrf_token": token})
    assert missing.status_code == 404
    bad = client.post(f"/dashboard/surge/{queue.code}", data={"action": "x", "csrf_token": token})
    assert bad.status_code == 400
