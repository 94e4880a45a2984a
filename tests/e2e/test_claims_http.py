"""Claims from many agents at once, through the HTTP endpoints of gunicorn's two sync worker
processes (the e2e stack): API tokens (`POST /api/v1/tickets/claim`) and console sessions
(`POST /console/claim`) race over one backlog. No ticket goes to two agents, every claim gets a
ticket or a clean "nothing to claim", and the numbers add up."""

from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.tickets.models import Ticket
from tests.e2e.seed import add_agent, event_counts, queue_codes, seed_tickets

TICKETS = 60
API_AGENTS = 8
CONSOLE_AGENTS = 2
PASSWORD = "kata-sandi-uji-12345"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ApiAgent:
    def __init__(self, base_url: str, email: str, token: str) -> None:
        self.base_url, self.email = base_url, email
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def claim(self) -> str | None:
        """The claimed ticket's number, or None on "nothing to claim" (204)."""
        response = self.http.post(self.base_url + "/api/v1/tickets/claim", timeout=30)
        if response.status_code == 204:
            assert response.content == b"", response.content
            return None
        assert response.status_code == 200, (response.status_code, response.text[:300])
        body = response.json()
        assert body["status"] == "assigned", body
        return body["number"]


class ConsoleAgent:
    """A signed-in browser session without the browser. The stack's PUBLIC_BASE_URL is https,
    so its cookies are Secure; requests would not send them back over http to 127.0.0.1 (a
    browser treats localhost as a secure origin), so each request names them itself."""

    def __init__(self, base_url: str, email: str) -> None:
        self.base_url, self.email = base_url, email
        self.http = requests.Session()
        page = self._send("GET", "/login")
        form = {"csrf_token": _csrf(page.text), "email": email, "password": PASSWORD}
        signed_in = self._send("POST", "/login", data=form)
        assert signed_in.status_code == 302, (signed_in.status_code, signed_in.text[:300])
        work = self._send("GET", "/console")
        assert work.status_code == 200, work.status_code
        self.csrf = _csrf(work.text)

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        return self.http.request(
            method,
            self.base_url + path,
            headers={"Cookie": cookies} if cookies else {},
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )

    def claim(self) -> str | None:
        response = self._send("POST", "/console/claim", data={"csrf_token": self.csrf})
        assert response.status_code == 302, (response.status_code, response.text[:300])
        path = urlsplit(response.headers["Location"]).path.rstrip("/")
        if path == "/console":
            return None  # "nothing waiting", told by a flash on the work page
        found = re.fullmatch(r"/console/tickets/([^/]+)", path)
        assert found, response.headers["Location"]
        return found.group(1)


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no csrf_token on the page"
    return found.group(1)


def test_many_agents_claiming_at_once_through_two_web_processes_never_share_a_ticket(e2e):
    codes = queue_codes(e2e, 2)
    seeded = {s.number for s in seed_tickets(e2e, TICKETS, status="waiting", queue_codes=codes)}
    agents: list[ApiAgent | ConsoleAgent] = []
    for _ in range(API_AGENTS):
        email, token = add_agent(e2e, codes)
        agents.append(ApiAgent(e2e.base_url, email, token))
    for _ in range(CONSOLE_AGENTS):
        email, _token = add_agent(e2e, codes, password=PASSWORD)
        agents.append(ConsoleAgent(e2e.base_url, email))

    start = threading.Barrier(len(agents))

    def work(agent) -> tuple[str, list[str], int]:
        """Claim until told there is nothing left; (email, numbers claimed, empty answers)."""
        start.wait()
        numbers = []
        while (number := agent.claim()) is not None:
            numbers.append(number)
        return agent.email, numbers, 1

    with ThreadPoolExecutor(max_workers=len(agents)) as pool:
        results = list(pool.map(work, agents))

    claimed = [n for _, numbers, _ in results for n in numbers]
    twice = [n for n, times in Counter(claimed).items() if times > 1]
    assert twice == [], f"tickets handed to two agents: {twice}"
    assert set(claimed) == seeded  # every ticket claimed once, nothing else
    assert len(claimed) == TICKETS
    # every agent stopped on a clean "nothing to claim"; several really raced (not one agent
    # draining the queue before the others started)
    assert sum(empty for *_, empty in results) == len(agents)
    assert sum(1 for _, numbers, _ in results if numbers) >= 3, [len(r[1]) for r in results]

    # the database agrees with what each agent was answered: assigned to that agent, once
    rows = e2e.rows(
        sa.select(Ticket.number, Ticket.status, User.email)
        .join(User, User.id == Ticket.assignee_id, isouter=True)
        .where(Ticket.number.in_(seeded))
    )
    answered = {n: email for email, numbers, _ in results for n in numbers}
    assert {number: (status, email) for number, status, email in rows} == {
        n: ("assigned", answered[n]) for n in seeded
    }
    assert event_counts(e2e, "claimed") == dict.fromkeys(seeded, 1)
