"""The dashboard's scope: local dates → a half-open UTC range, filters by code."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pandawa.reports.scope import ScopeError, scope_from_args


def test_default_is_the_30_days_ending_today(session, make_user):
    boss = make_user(role="supervisor")
    scope = scope_from_args(session, boss, {})
    assert (scope.first_day, scope.last_day) == (date(2026, 11, 2), date(2026, 12, 1))
    assert scope.timezone == "Asia/Jakarta"  # no office yet: Jakarta


def test_local_days_become_utc_bounds(session, make_office, make_user):
    make_office()
    boss = make_user(role="supervisor")
    scope = scope_from_args(session, boss, {"from": "2026-12-01", "to": "2026-12-02"})
    assert scope.timezone == "Asia/Jakarta"
    assert scope.start == datetime(2026, 11, 30, 17, tzinfo=UTC)
    assert scope.end == datetime(2026, 12, 2, 17, tzinfo=UTC)
    assert scope.query_args() == {"from": "2026-12-01", "to": "2026-12-02"}


def test_the_days_are_those_of_the_first_office(session, make_office, make_user):
    make_office(timezone="Asia/Makassar")  # WITA, UTC+8: the agency's days
    make_office(timezone="Asia/Jayapura")  # a later office does not move them
    boss = make_user(role="supervisor")
    scope = scope_from_args(session, boss, {"from": "2026-12-01", "to": "2026-12-02"})
    assert scope.timezone == "Asia/Makassar"
    assert scope.start == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert scope.end == datetime(2026, 12, 2, 16, tzinfo=UTC)


def test_filters_by_code_and_round_trip(session, make_office, make_queue, make_user):
    office, queue = make_office("KC-X"), make_queue("QX")
    agent = make_user("x@example.go.id", queues=[queue])
    boss = make_user(role="supervisor")
    args = {"from": "2026-11-01", "to": "2026-11-30", "office": "KC-X", "queue": "QX",
            "agent": "x@example.go.id"}  # fmt: skip
    scope = scope_from_args(session, boss, args)
    assert (scope.office_id, scope.queue_id, scope.agent_id) == (office.id, queue.id, agent.id)
    assert scope.query_args() == args
    assert scope_from_args(session, boss, {"agent": str(agent.id)}).agent_id == agent.id


@pytest.mark.parametrize(
    "args",
    [
        {"from": "2026-12-02", "to": "2026-12-01"},
        {"from": "2025-01-01", "to": "2026-12-01"},
        {"from": "kemarin"},
        {"office": "NOPE"},
        {"queue": "NOPE"},
        {"agent": "nobody@example.go.id"},
    ],
)
def test_bad_input_is_refused_in_both_languages(session, make_user, args):
    boss = make_user(role="supervisor")
    with pytest.raises(ScopeError, match=" / "):
        scope_from_args(session, boss, args)


def test_an_agent_cannot_scope_to_someone_else(session, make_user):
    me, other = make_user(), make_user()
    assert scope_from_args(session, me, {"agent": me.email}).agent_id == me.id
    with pytest.raises(ScopeError):
        scope_from_args(session, me, {"agent": other.email})
