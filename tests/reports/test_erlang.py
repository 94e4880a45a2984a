"""Erlang B and C (pandawa.reports.erlang): textbook values and the properties staffing relies on
— probabilities in [0, 1], more agents never worse, a load at or above the servers unstable."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.reports.erlang import (
    agents_needed,
    erlang_b,
    erlang_c,
    servers_needed,
    service_level,
)


def closed_form_c(servers: int, load: float) -> float:
    """The textbook sum (fine for small numbers), to check the recursion against."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def test_known_values():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # the classic example: 10 erlangs on 11 agents waits with probability ~0.682
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=1e-4)
    assert erlang_c(7, 5.5) == pytest.approx(closed_form_c(7, 5.5))


def test_large_numbers_stay_finite():
    # A^c / c! overflows a float here; the recursion does not
    assert 0 < erlang_c(2000, 1950.0) < 1
    assert servers_needed(100_000, 300, 20) > 8000


def test_unstable_and_empty():
    assert erlang_c(5, 5.0) is None and erlang_c(3, 4.5) is None
    assert service_level(5, 6.0, 600, 60) is None
    assert erlang_c(3, 0.0) == 0.0
    assert servers_needed(0, 600, 1800) == 0 and agents_needed(0, 600, 1800, 3) == 0


def test_a_worked_staffing_example():
    # 60 chats an hour, 10 minutes each: 10 erlangs; 80 % answered within 30 minutes
    assert servers_needed(60, 600, 1800) == 11
    # within 20 seconds needs more
    assert servers_needed(60, 600, 20) == 14
    # agents holding 3 at once
    assert agents_needed(60, 600, 20, capacity=3) == 5


@settings(max_examples=200)
@given(
    servers=st.integers(0, 400),
    load=st.floats(0, 500, allow_nan=False, allow_infinity=False),
    handle=st.floats(1, 7200),
    target=st.floats(0, 7200),
)
def test_properties(servers, load, handle, target):
    b = erlang_b(servers, load)
    assert 0.0 <= b <= 1.0
    c = erlang_c(servers, load)
    if load > 0 and load >= servers:
        assert c is None
        assert service_level(servers, load, handle, target) is None
        return
    assert c is not None and 0.0 <= c <= 1.0
    if load > 0:
        assert c >= b - 1e-12  # waiting is at least as likely as being blocked
    level = service_level(servers, load, handle, target)
    assert level is not None and 0.0 <= level <= 1.0
    # one more agent never makes anything worse
    more = erlang_c(servers + 1, load)
    assert more is not None and more <= c + 1e-12
    assert service_level(servers + 1, load, handle, target) >= level - 1e-12


@settings(max_examples=100)
@given(
    arrivals=st.floats(0.1, 2000),
    handle=st.floats(30, 7200),
    target=st.floats(10, 7200),
    goal=st.floats(0.5, 0.95),
)
def test_servers_needed_is_the_least_that_meets_the_goal(arrivals, handle, target, goal):
    n = servers_needed(arrivals, handle, target, goal)
    load = arrivals * handle / 3600
    assert n > load
    assert service_level(n, load, handle, target) >= goal
    below = service_level(n - 1, load, handle, target)
    assert below is None or below < goal
    # more arrivals never need fewer agents
    assert servers_needed(arrivals * 1.5, handle, target, goal) >= n
