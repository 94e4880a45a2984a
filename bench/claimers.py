"""Agents pressing "claim next" at once, for bench/console.py.

Each agent has its own keep-alive connection, opened before the rounds; a round sends every
agent's claim at the same instant and times each answer from the moment its request was
written. The client is asyncio on raw sockets with the requests prepared in advance: it costs
~0.1 ms of CPU per claim, so on a 2-core machine the figures are the server's and not the
load generator's (the `requests` + threads client this replaced spent ~1.5 ms per claim on
the same cores). Two kinds of agent:

- API: `POST /api/v1/tickets/claim` with a bearer token; 200 with the ticket's JSON (number
  read from it) or 204.
- Console: `POST /console/claim` with the session cookie and the form's CSRF token, as the
  button sends it; a redirect to `/console/tickets/<number>`, or to `/console` when nothing
  waits.

Claimed tickets are put back to waiting between rounds (`reset(numbers)`), so every round
claims from the same backlog.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Agent:
    request: bytes  # the whole HTTP request, sent as is for every claim
    console: bool  # True: the form post answered by a redirect; False: the API

    def number(self, status: int, head: dict[bytes, bytes], body: bytes) -> str | None:
        """The claimed ticket's number; None when nothing waited; ValueError otherwise."""
        if self.console:
            location = head.get(b"location", b"").decode()
            if status in (302, 303) and "/console/tickets/" in location:
                return location.rsplit("/", 1)[1]
            if status in (302, 303):
                return None
        elif status == 200:
            return json.loads(body)["number"]
        elif status == 204:
            return None
        raise ValueError(f"claim answered {status}")


def api_agent(host: str, token: str) -> Agent:
    request = (
        f"POST /api/v1/tickets/claim HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n"
    )
    return Agent(request.encode(), console=False)


def console_agent(host: str, cookie: str, csrf: str, user_agent: str) -> Agent:
    # the same User-Agent the session was signed in with (Flask-Login's session protection)
    body = f"csrf_token={csrf}"
    request = (
        f"POST /console/claim HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
        f"User-Agent: {user_agent}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    )
    return Agent(request.encode(), console=True)


async def _claim(
    agent: Agent, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> tuple[str | None, float]:
    started = time.perf_counter()
    writer.write(agent.request)
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    head = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        head[name.strip().lower()] = value.strip()
    length = int(head.get(b"content-length", b"0"))
    body = await reader.readexactly(length) if length else b""
    ms = (time.perf_counter() - started) * 1000
    return agent.number(status, head, body), ms


async def _rounds(
    host: str, port: int, agents: list[Agent], rounds: int, per: int, reset: Callable
) -> dict:
    connections = [await asyncio.open_connection(host, port) for _ in agents]
    latencies: list[float] = []
    duplicates = empty = errors = 0
    busy = 0.0
    try:
        for _ in range(rounds):

            async def one_agent(agent: Agent, conn) -> list[tuple[str | None, float]]:
                return [await _claim(agent, *conn) for _ in range(per)]

            started = time.perf_counter()
            results = await asyncio.gather(
                *(one_agent(a, c) for a, c in zip(agents, connections, strict=True)),
                return_exceptions=True,
            )
            busy += time.perf_counter() - started
            numbers: list[str] = []
            for result in results:
                if isinstance(result, BaseException):
                    errors += 1
                    continue
                for number, ms in result:
                    if number is None:
                        empty += 1
                    else:
                        numbers.append(number)
                        latencies.append(ms)
            duplicates += len(numbers) - len(set(numbers))
            reset(numbers)
            await asyncio.sleep(0.2)  # the next round starts from a quiet server
    finally:
        for _, writer in connections:
            writer.close()
    return {
        "latencies": latencies,
        "duplicates": duplicates,
        "empty": empty,
        "errors": errors,
        "per_second": round(len(latencies) / busy, 1) if busy else None,
    }


def claim_rounds(
    port: int, agents: list[Agent], rounds: int, per: int, reset: Callable[[list[str]], None]
) -> dict:
    """`rounds` times: every agent claims `per` times in a row, all agents at once."""
    return asyncio.run(_rounds("127.0.0.1", port, agents, rounds, per, reset))
