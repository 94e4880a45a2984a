"""Erlang C: how many agents a queue needs so that a share of citizens is answered in time.

The M/M/c queue (Poisson arrivals, exponential handling, c servers, an infinite queue) of
A. K. Erlang, "Solution of some problems in the theory of probabilities of significance in
automatic telephone exchanges", Elektroteknikeren 13 (1917); as used for staffing in
N. Gans, G. Koole, A. Mandelbaum, "Telephone call centers: tutorial, review, and research
prospects", Manufacturing & Service Operations Management 5(2), 2003, §4.1 (Erlang C), and
ITU-T Recommendation E.500/E.501 (traffic intensity and its measurement).

With offered load A = λ · E[S] (erlangs) and c servers:

    Erlang B (blocking):  B(0, A) = 1,  B(n, A) = A·B(n−1, A) / (n + A·B(n−1, A))
    Erlang C (P(wait)):   C(c, A) = c·B(c, A) / (c − A·(1 − B(c, A)))          for A < c
    service level:        P(W ≤ t) = 1 − C(c, A) · exp(−(c − A) · t / E[S])

The recursion for B never forms A^c / c! (which overflows a float past c ≈ 170 and loses
precision long before): every step stays in [0, 1], so it is stable for any c and A. When
A ≥ c the queue grows without bound: no answer (None).

A "server" here is one place an agent has for a ticket at once (User.capacity): handle times
are measured while agents hold several conversations, so `servers / capacity` agents suffice.
"""

from __future__ import annotations

import math

# servers searched before giving up (a queue needing more is beyond any office)
MAX_SERVERS = 10_000


def erlang_b(servers: int, load: float) -> float:
    """Probability that all `servers` are busy in an Erlang loss system (iterative)."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must be non-negative")
    b = 1.0
    for n in range(1, servers + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(servers: int, load: float) -> float | None:
    """Probability that an arrival must wait (all servers busy); None when unstable
    (load ≥ servers: the queue grows without end)."""
    if load < 0 or servers < 0:
        raise ValueError("servers and load must be non-negative")
    if load == 0:
        return 0.0
    if servers <= load:
        return None
    b = erlang_b(servers, load)
    return min(1.0, max(0.0, servers * b / (servers - load * (1.0 - b))))


def service_level(
    servers: int, load: float, handle_seconds: float, target_seconds: float
) -> float | None:
    """Share of arrivals answered within `target_seconds`; None when unstable."""
    wait = erlang_c(servers, load)
    if wait is None:
        return None
    if handle_seconds <= 0:
        return 1.0
    level = 1.0 - wait * math.exp(-(servers - load) * target_seconds / handle_seconds)
    return min(1.0, max(0.0, level))


def servers_needed(
    arrivals_per_hour: float,
    handle_seconds: float,
    target_seconds: float,
    goal: float = 0.8,
) -> int:
    """The fewest servers meeting `goal` (e.g. 80 % within the target); 0 without arrivals."""
    if arrivals_per_hour <= 0 or handle_seconds <= 0:
        return 0
    load = arrivals_per_hour * handle_seconds / 3600.0
    servers = max(1, math.floor(load) + 1)
    while servers <= MAX_SERVERS:
        level = service_level(servers, load, handle_seconds, target_seconds)
        if level is not None and level >= goal:
            return servers
        servers += 1
    return MAX_SERVERS


def agents_needed(
    arrivals_per_hour: float,
    handle_seconds: float,
    target_seconds: float,
    capacity: int = 1,
    goal: float = 0.8,
) -> int:
    """Agents holding up to `capacity` tickets at once that give the servers needed."""
    servers = servers_needed(arrivals_per_hour, handle_seconds, target_seconds, goal)
    return math.ceil(servers / max(1, capacity))
