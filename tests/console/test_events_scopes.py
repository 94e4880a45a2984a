"""Live events for a supervisor bound to offices (issue 17): the streams are per queue and a
queue serves every office, so the console's stream and poll pass over other offices' events —
their ticket numbers never reach her browser — while her offices' events arrive as before."""

from __future__ import annotations

import json

import pytest

from pandawa.core import live
from pandawa.tickets.scopes.operations import set_scope
from tests.console.test_events import _publish, _sse_blocks


def _event(queue: str, number: str, office: str) -> dict:
    return {
        "type": "ticket",
        "ticket": number,
        "queue": queue,
        "event": "created",
        "office": office,
    }


@pytest.fixture
def scoped(session, make_office, make_queue, make_user):
    make_office("JKT"), make_office("MKS")
    queue = make_queue()
    boss = make_user(role="supervisor")
    set_scope(session, boss, ["JKT"])
    session.flush()
    return boss, queue.code


def test_the_poll_passes_over_other_offices_events(app, scoped, client_as):
    boss, code = scoped
    client = client_as(boss)
    cursor = client.get("/console/events/poll").get_json()["cursor"]

    _publish(
        app,
        _event(code, "PDW-MKS", "MKS"),
        _event(code, "PDW-JKT", "JKT"),
        {"type": "ticket", "ticket": "PDW-OLD", "queue": code, "event": "created"},  # no office
    )
    page = client.get("/console/events/poll", query_string={"after": cursor})

    assert [e["ticket"] for e in page.get_json()["events"]] == ["PDW-JKT"]
    assert "PDW-MKS" not in page.get_data(as_text=True)
    again = client.get("/console/events/poll", query_string={"after": page.get_json()["cursor"]})
    assert again.get_json()["events"] == []  # the cursor moved past what was passed over


def test_the_stream_sends_her_offices_events_only(app, scoped, client_as):
    boss, code = scoped
    response = client_as(boss).get("/console/events")
    assert response.status_code == 200
    # the other office's first, so a leak would come first
    _publish(app, _event(code, "PDW-MKS", "MKS"), _event(code, "PDW-JKT", "JKT"))

    _hello, first = _sse_blocks(response, 2)
    assert json.loads(first["data"])["ticket"] == "PDW-JKT"
    assert live.decode_cursor(first["id"]).keys() == {code}
