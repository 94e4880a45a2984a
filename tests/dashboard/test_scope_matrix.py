"""Supervisor scopes (issue 17), surface by surface: a supervisor bound to office JKT sees and
acts on JKT and nothing of BGR or MKS; a regional supervisor (region JABAR: JKT and BGR) sees
both of hers and nothing of MKS; an agency-wide supervisor and an admin see all three.

Every supervisor surface — the board, the figures, the drill-down, both CSV exports, each API
route, the console pages a supervisor reaches, each action — is one entry of SURFACES: a
function answering which offices' data the signed-in user got. Counts are read back as offices
because each office holds a different power of two of waiting tickets (JKT 1, BGR 2, MKS 4):
a count of 3 is exactly JKT and BGR. A new surface is one line in SURFACES.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape

import pytest
from flask.testing import FlaskClient

from pandawa.citizens.models import Contact
from pandawa.core.clock import now
from pandawa.tickets.scopes.operations import set_scope
from tests.harness import csrf_token, reset_throttle, sign_in, with_password

BITS = {"JKT": 1, "BGR": 2, "MKS": 4}
REGION = {"JKT": "JABAR", "BGR": "JABAR", "MKS": "SULSEL"}
SEES = {
    "office": {"JKT"},
    "region": {"JKT", "BGR"},
    "agency": {"JKT", "BGR", "MKS"},
    "admin": {"JKT", "BGR", "MKS"},
}


def offices_of(count: int) -> set[str]:
    return {code for code, bit in BITS.items() if count & bit}


@dataclass
class World:
    client: FlaskClient
    tokens: dict[str, str]
    numbers: dict[str, str]  # ticket number → office code
    contacts: dict[int, str]  # contact id → office code (one blocked number per office)
    viewer: str = ""
    offices: list[str] = field(default_factory=lambda: list(BITS))

    def page(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        return unescape(response.get_data(as_text=True)) if response.status_code == 200 else ""

    def api(self, method: str, path: str, **kwargs: object):
        headers = {"Authorization": f"Bearer {self.tokens[self.viewer]}"}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def numbers_in(self, text: str) -> set[str]:
        return {office for number, office in self.numbers.items() if number in text}

    def codes_in(self, text: str) -> set[str]:
        return {code for code in BITS if re.search(rf"\b{code}\b", text)}


@pytest.fixture(autouse=True)
def _throttle(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


@pytest.fixture
def world(session, client, make_office, make_queue, make_user, make_conversation, make_ticket):
    queue = make_queue("UMUM")
    make_queue("LAIN")  # where the transfer action moves a ticket
    numbers: dict[str, str] = {}
    contacts: dict[int, str] = {}
    for code, count in BITS.items():
        office = make_office(code)
        office.region = REGION[code]
        for _ in range(count):
            ticket = make_ticket(queue=queue, conversation=make_conversation(office=office))
            numbers[ticket.number] = code
        contact = session.get(Contact, ticket.contact_id)
        contact.blocked_at, contact.blocked_reason = now(), "Uji"
        contacts[contact.id] = code
    users = {
        "office": make_user("kc-jkt@example.go.id", role="supervisor"),
        "region": make_user("wil-jabar@example.go.id", role="supervisor"),
        "agency": make_user("pusat@example.go.id", role="supervisor"),
        "admin": make_user("admin@example.go.id", role="admin"),
    }
    for user in users.values():
        with_password(user)
    set_scope(session, users["office"], ["JKT"])
    set_scope(session, users["region"], regions=["JABAR"])
    session.flush()
    return users, numbers, contacts


@pytest.fixture
def as_viewer(world, client, make_token):
    users, numbers, contacts = world
    tokens = {name: make_token(user) for name, user in users.items()}

    def sign(viewer: str) -> World:
        assert sign_in(client, users[viewer].email).status_code == 302
        return World(client, tokens, numbers, contacts, viewer)

    return sign


# --- the surfaces: each answers the set of offices whose data the viewer got ------------------


def board_counts(w: World) -> set[str]:
    data = w.client.get("/dashboard/board?format=json").get_json()
    return offices_of(sum(q["waiting"] for q in data["queues"]))


def board_offices(w: World) -> set[str]:
    data = w.client.get("/dashboard/board?format=json").get_json()
    return {office["code"] for office in data["offices"]}


def board_page(w: World) -> set[str]:
    return w.codes_in(w.page("/dashboard"))


def figures_page(w: World) -> set[str]:
    html = w.page("/dashboard/figures")
    created = re.search(r'data-tile="created"><span class="tile-value">(\d+)<', html)
    assert created, "no created tile"
    return offices_of(int(created.group(1))) | w.codes_in(html)


def figures_csv(w: World) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(w.page("/dashboard/export/figures.csv?by=all")[1:])))
    return offices_of(int(rows[0]["created"]))


def drill_down(w: World) -> set[str]:
    return w.numbers_in(w.page("/dashboard/tickets"))


def tickets_csv(w: World) -> set[str]:
    return w.numbers_in(w.page("/dashboard/export/tickets.csv"))


def office_filter(w: World) -> set[str]:
    """`?office=` narrows, never widens: another office's list is a 404, not its rows."""
    seen = set()
    for code in BITS:
        for path in ("/dashboard/tickets", "/dashboard/export/tickets.csv", "/dashboard/figures"):
            response = w.client.get(f"{path}?office={code}")
            assert response.status_code in (200, 404), (path, code)
            if response.status_code == 200:
                seen.add(code)
                if path != "/dashboard/figures":
                    assert w.numbers_in(response.get_data(as_text=True)) == {code}
    return seen


def blocked_list(w: World) -> set[str]:
    html = w.page("/dashboard/blocked")
    ids = {int(i) for i in re.findall(r'data-contact="(\d+)"', html)}
    return {w.contacts[i] for i in ids if i in w.contacts}


def api_tickets(w: World) -> set[str]:
    return {item["office"] for item in w.api("GET", "/api/v1/tickets").get_json()["items"]}


def api_ticket_detail(w: World) -> set[str]:
    return {
        office
        for number, office in w.numbers.items()
        if w.api("GET", f"/api/v1/tickets/{number}").status_code == 200
    }


def api_search(w: World) -> set[str]:
    seen = set()
    for number, office in w.numbers.items():
        items = w.api("GET", f"/api/v1/tickets?q={number}").get_json()["items"]
        seen |= {office for item in items if item["number"] == number}
    return seen


def api_queues(w: World) -> set[str]:
    items = w.api("GET", "/api/v1/queues").get_json()["items"]
    return offices_of(sum(item["waiting"] for item in items))


def api_stats_live(w: World) -> set[str]:
    items = w.api("GET", "/api/v1/stats/queues").get_json()["items"]
    return offices_of(sum(item["waiting"] for item in items))


def api_stats_figures(w: World) -> set[str]:
    items = w.api("GET", "/api/v1/stats/queues").get_json()["items"]
    return offices_of(sum(item["created"] for item in items))


def api_offices(w: World) -> set[str]:
    return {item["code"] for item in w.api("GET", "/api/v1/offices").get_json()["items"]}


def console_ticket(w: World) -> set[str]:
    return {
        office
        for number, office in w.numbers.items()
        if w.client.get(f"/console/tickets/{number}").status_code == 200
    }


def console_search(w: World) -> set[str]:
    seen = set()
    for number, office in w.numbers.items():
        if f'data-ticket="{number}"' in w.page(f"/console/search?q={number}"):
            seen.add(office)
    return seen


def console_work_list(w: World) -> set[str]:
    return w.numbers_in(w.page("/console"))


# actions: the offices on which the viewer's act succeeded (404 elsewhere, nothing changed)
def act_close_now(w: World) -> set[str]:
    done = set()
    for code in BITS:
        response = w.api("POST", f"/api/v1/offices/{code}/close-now", json={"reason": "Banjir"})
        assert response.status_code in (200, 404), response.get_json()
        if response.status_code == 200:
            done.add(code)
    return done


def act_open_now(w: World) -> set[str]:
    return {
        code
        for code in BITS
        if w.api("POST", f"/api/v1/offices/{code}/open-now").status_code == 200
    }


def act_transfer(w: World) -> set[str]:
    return {
        office
        for number, office in w.numbers.items()
        if w.api("POST", f"/api/v1/tickets/{number}/transfer", json={"queue": "LAIN"}).status_code
        == 200
    }


def act_resolve(w: World) -> set[str]:
    return {
        office
        for number, office in w.numbers.items()
        if w.api("POST", f"/api/v1/tickets/{number}/resolve").status_code == 200
    }


def act_unblock(w: World) -> set[str]:
    done = set()
    for contact_id, office in w.contacts.items():
        token = csrf_token(w.client, "/dashboard/blocked")
        response = w.client.post(
            f"/dashboard/blocked/{contact_id}/unblock", data={"csrf_token": token}
        )
        assert response.status_code in (302, 404)
        if response.status_code == 302:
            done.add(office)
    return done


SURFACES: dict[str, Callable[[World], set[str]]] = {
    "board: queue counts": board_counts,
    "board: offices": board_offices,
    "board: page": board_page,
    "figures page": figures_page,
    "figures.csv": figures_csv,
    "drill-down": drill_down,
    "tickets.csv": tickets_csv,
    "dashboard ?office=": office_filter,
    "dashboard blocked": blocked_list,
    "GET /api/v1/tickets": api_tickets,
    "GET /api/v1/tickets/<number>": api_ticket_detail,
    "GET /api/v1/tickets?q=": api_search,
    "GET /api/v1/queues": api_queues,
    "GET /api/v1/stats/queues (live)": api_stats_live,
    "GET /api/v1/stats/queues (figures)": api_stats_figures,
    "GET /api/v1/offices": api_offices,
    "console ticket page": console_ticket,
    "console search": console_search,
    "console work list": console_work_list,
    "POST /api/v1/offices/<code>/close-now": act_close_now,
    "POST /api/v1/offices/<code>/open-now": act_open_now,
    "POST /api/v1/tickets/<number>/transfer": act_transfer,
    "POST /api/v1/tickets/<number>/resolve": act_resolve,
    "POST /dashboard/blocked/<id>/unblock": act_unblock,
}


@pytest.mark.parametrize(
    ("viewer", "shown"), [("office", "JKT"), ("region", "BGR, JKT"), ("agency", None)]
)
def test_a_scoped_supervisor_is_told_her_scope_on_every_dashboard_page(as_viewer, viewer, shown):
    w = as_viewer(viewer)
    for path in ("/dashboard", "/dashboard/figures", "/dashboard/tickets", "/dashboard/blocked"):
        found = re.search(r'<p class="my-scope" data-scope>Cakupan Anda: ([^<]*)</p>', w.page(path))
        assert (found.group(1) if found else None) == shown, path


@pytest.mark.parametrize("viewer", list(SEES))
@pytest.mark.parametrize("surface", list(SURFACES))
def test_each_surface_shows_and_acts_within_the_viewers_scope(as_viewer, surface, viewer):
    assert SURFACES[surface](as_viewer(viewer)) == SEES[viewer]
