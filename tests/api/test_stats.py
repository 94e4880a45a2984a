"""GET /api/v1/stats/queues: the board's live load and the figures page's waits per queue
(one definition each: pandawa.reports.definitions, held across every surface by
tests/reports/test_one_definition.py)."""

from __future__ import annotations

from datetime import timedelta

from pandawa.tickets.queries import percentile


def _responded(make_ticket, queue, clock, wait_seconds: int, status: str = "resolved"):
    """A ticket created now (inside office hours) and answered `wait_seconds` later."""
    ticket = make_ticket(queue=queue, status=status)
    ticket.first_response_at = ticket.created_at + timedelta(seconds=wait_seconds)
    ticket.wait_seconds = ticket.wait_business_seconds = wait_seconds
    return ticket


def test_stats_shape_and_figures(
    session, client, clock, make_queue, make_user, make_ticket, bearer
):
    queue = make_queue(sla_seconds=1800)
    agent = make_user(queues=[queue])
    clock.advance(minutes=-30)
    make_ticket(queue=queue)  # the oldest waiting: 30 minutes ago
    clock.advance(minutes=20)
    make_ticket(queue=queue)
    make_ticket(queue=queue, status="deferred")
    make_ticket(queue=queue, status="assigned", assignee=agent)
    for wait in (60, 120, 3000):
        _responded(make_ticket, queue, clock, wait)
    clock.advance(minutes=10)
    session.flush()

    response = client.get("/api/v1/stats/queues", headers=bearer(agent))

    assert response.status_code == 200
    (item,) = response.json["items"]
    assert {
        "queue",
        "waiting",
        "deferred",
        "assigned",
        "oldest_wait_seconds",
        "wait_p50_seconds",
        "wait_p90_seconds",
        "sla_attainment",
    } <= set(item)
    assert item["queue"] == queue.code
    assert (item["waiting"], item["deferred"], item["assigned"]) == (2, 1, 1)
    assert item["oldest_wait_seconds"] == 30 * 60
    assert item["wait_p50_seconds"] == 120
    assert item["wait_p90_seconds"] == 2424  # 120 + 0.8 * (3000 - 120), as percentile_cont
    assert item["sla_attainment"] == round(2 / 3, 4)
    assert response.json["range"] == {
        "from": "2026-12-01",
        "to": "2026-12-01",
        "timezone": "Asia/Jakarta",
    }


def test_agent_sees_only_own_queues_and_empty_figures_are_null(
    client, make_queue, make_user, bearer
):
    mine, other = make_queue(), make_queue()
    agent = make_user(queues=[mine])
    items = client.get("/api/v1/stats/queues", headers=bearer(agent)).json["items"]
    assert [i["queue"] for i in items] == [mine.code]
    assert items[0]["oldest_wait_seconds"] is None
    assert items[0]["sla_attainment"] is None
    assert items[0]["wait_p50_seconds"] is None
    supervisor = make_user(role="supervisor")
    codes = {
        i["queue"]
        for i in client.get("/api/v1/stats/queues", headers=bearer(supervisor)).json["items"]
    }
    assert {mine.code, other.code} <= codes


def test_date_range_selects_the_tickets_created_in_it(
    session, client, clock, make_queue, make_user, make_ticket, bearer
):
    queue = make_queue()
    agent = make_user(queues=[queue])
    _responded(make_ticket, queue, clock, 100)  # created on 1 December (WIB)
    clock.advance(days=-3)
    _responded(make_ticket, queue, clock, 500)  # on 28 November
    clock.advance(days=3)
    session.flush()
    h = bearer(agent)

    def p50(query: str):
        response = client.get(f"/api/v1/stats/queues?{query}", headers=h)
        assert response.status_code == 200, response.json
        return response.json["items"][0]["wait_p50_seconds"]

    assert p50("") == 100
    assert p50("from=2026-11-28&to=2026-11-28") == 500
    assert p50("from=2026-11-20&to=2026-12-01") == 300
    assert p50("from=2026-11-29&to=2026-11-30") is None
    for query in ("from=yesterday", "from=2026-12-02&to=2026-12-01", "tz=Mars/Olympus"):
        response = client.get(f"/api/v1/stats/queues?{query}", headers=h)
        assert response.status_code == 400
        assert response.json["error"]["code"] == "invalid_parameter"


def test_percentile_matches_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 20.0], 0.9) == 19.0


# -- the dashboard's figures in the API (the fixture `known`: tests/figures.py) ------------


def test_queue_stats_carry_the_figures_of_tickets_created_in_range(client, known, bearer):
    response = client.get(
        "/api/v1/stats/queues?from=2026-11-27&to=2026-12-28", headers=bearer(known.boss)
    )
    assert response.status_code == 200
    items = {i["queue"]: i for i in response.json["items"]}
    kep = items["QKEP"]
    assert (kep["waiting"], kep["oldest_wait_seconds"]) == (2, 27 * 86400 - 2 * 3600)
    assert (kep["created"], kep["resolved"], kep["cancelled"], kep["transferred"]) == (7, 4, 1, 1)
    assert (kep["responded"], kep["sla_met"], kep["sla_counted"]) == (4, 2, 5)
    assert kep["sla_attainment"] == 0.4
    assert (kep["wait_business_p50"], kep["wait_business_p90"]) == (1650.0, 2910.0)
    assert (kep["satisfaction_avg"], kep["satisfaction_count"]) == (4.0, 3)
    # the contract's keys are the dashboard's figures, no second definition of a wait
    assert (kep["wait_p50_seconds"], kep["wait_p90_seconds"]) == (1650.0, 2910.0)
    # the names these figures had here before stay, equal
    assert (kep["answered"], kep["sla_attainment_business"]) == (4, 0.4)


def test_agent_stats_supervisor_sees_all_agent_sees_self(client, known, bearer):
    url = "/api/v1/stats/agents?from=2026-11-27&to=2026-12-28"
    items = client.get(url, headers=bearer(known.boss)).json["items"]
    by_agent = {i["agent"]: i for i in items}
    a = by_agent["a@example.go.id"]
    assert (a["created"], a["responded"], a["sla_met"], a["sla_counted"], a["sla_attainment"]) == (
        4, 4, 2, 4, 0.5,
    )  # fmt: skip
    mine = client.get(url, headers=bearer(known.b))
    assert mine.status_code == 200
    assert [i["agent"] for i in mine.json["items"]] == ["b@example.go.id"]
    assert mine.json["items"][0]["wait_business_p50"] == 5400.0
    assert client.get(url).status_code == 401
    backwards = "/api/v1/stats/agents?from=2026-11-27&to=2026-01-01"
    assert client.get(backwards, headers=bearer(known.b)).status_code == 400
