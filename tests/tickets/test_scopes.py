"""Supervisor scopes (issue 17): who may be bound to what, the audit of every change, the one
visibility rule reading the scope (by office, and by region at the time of the query), and the
figures a scoped supervisor is served (never the agency-wide snapshot)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.hours.models import Office
from pandawa.reports import snapshots
from pandawa.reports.scope import ScopeNotFound, scope_from_args
from pandawa.tickets.models import Ticket
from pandawa.tickets.queries import (
    managed_queues_clause,
    visibility_clause,
    visible_offices_clause,
)
from pandawa.tickets.scopes.operations import ScopeRefused, scope_of, set_scope


@pytest.fixture
def offices(session, make_office):
    made = {}
    for code, region in (("JKT", "JABAR"), ("BGR", "JABAR"), ("MKS", "SULSEL"), ("NOREG", None)):
        made[code] = make_office(code)
        made[code].region = region
    session.flush()
    return made


@pytest.fixture
def tickets(offices, make_queue, make_conversation, make_ticket):
    queue = make_queue("UMUM")
    return {
        code: make_ticket(queue=queue, conversation=make_conversation(office=office))
        for code, office in offices.items()
    }


def seen_offices(session, user) -> set[str]:
    return set(session.scalars(sa.select(Office.code).where(visible_offices_clause(user))))


def seen_tickets(session, user, tickets) -> set[str]:
    numbers = set(session.scalars(sa.select(Ticket.number).where(visibility_clause(user))))
    return {code for code, ticket in tickets.items() if ticket.number in numbers}


def test_a_supervisor_sees_her_offices_and_regions_and_nothing_else(
    session, make_user, offices, tickets
):
    boss = make_user(role="supervisor")
    assert seen_tickets(session, boss, tickets) == set(offices)  # agency-wide by default

    set_scope(session, boss, ["MKS"], ["JABAR"])

    assert scope_of(boss).describe() == "offices: MKS; regions: JABAR"
    assert seen_offices(session, boss) == {"JKT", "BGR", "MKS"}
    assert seen_tickets(session, boss, tickets) == {"JKT", "BGR", "MKS"}

    set_scope(session, boss, [], [])  # agency-wide again
    assert seen_tickets(session, boss, tickets) == set(offices)


def test_a_region_is_read_when_asked_so_an_office_moving_region_moves_with_it(
    session, make_user, offices, tickets
):
    boss = make_user(role="supervisor")
    set_scope(session, boss, regions=["SULSEL"])
    assert seen_tickets(session, boss, tickets) == {"MKS"}

    offices["NOREG"].region = "SULSEL"  # the next catalogue load gives it the region
    session.flush()

    assert seen_tickets(session, boss, tickets) == {"MKS", "NOREG"}


def test_only_supervisors_carry_a_scope(session, make_user, offices):
    admin, agent = make_user(role="admin"), make_user()
    for user in (admin, agent):
        with pytest.raises(ScopeRefused, match="Only supervisors"):
            set_scope(session, user, ["JKT"])
    assert set_scope(session, admin, []).is_agency_wide  # clearing is always allowed


def test_unknown_offices_and_regions_are_refused_naming_the_known_ones(session, make_user, offices):
    boss = make_user(role="supervisor")
    with pytest.raises(ScopeRefused, match=r"Unknown office: SBY \(known: BGR, JKT, MKS, NOREG"):
        set_scope(session, boss, ["SBY"])
    with pytest.raises(ScopeRefused, match=r"Unknown region: JATIM \(known: JABAR, SULSEL\)"):
        set_scope(session, boss, regions=["JATIM"])
    assert scope_of(boss).is_agency_wide


def test_every_change_is_audited_with_before_and_after(session, make_user, offices):
    boss, admin = make_user(role="supervisor"), make_user(role="admin")
    set_scope(session, boss, ["JKT"], actor_id=admin.id, address="10.0.0.1")
    set_scope(session, boss, ["JKT"], actor_id=admin.id)  # no change: no row
    set_scope(session, boss, [], actor_label="cli", address="cli")

    rows = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "user_scope_changed")
        .order_by(AuditEvent.id)
    ).all()
    assert [(r.actor_id, r.actor_label, r.details) for r in rows] == [
        (admin.id, "", {"user_id": boss.id, "before": "agency-wide", "after": "offices: JKT"}),
        (None, "cli", {"user_id": boss.id, "before": "offices: JKT", "after": "agency-wide"}),
    ]


def test_admins_stay_agency_wide_even_with_rows_left_from_a_supervisor_role(
    session, make_user, offices, tickets
):
    user = make_user(role="supervisor")
    set_scope(session, user, ["JKT"])
    user.role = "admin"  # promoted: the rows stay, but an admin is never bound
    assert seen_tickets(session, user, tickets) == set(offices)
    assert seen_offices(session, user) == set(offices)


def test_queue_settings_are_for_agency_wide_users_only(session, make_user, make_queue, offices):
    make_queue("UMUM")
    boss, scoped = make_user(role="supervisor"), make_user(role="supervisor")
    set_scope(session, scoped, ["JKT"])

    def managed(user) -> int:
        from pandawa.tickets.models import Queue

        return session.scalar(
            sa.select(sa.func.count()).select_from(Queue).where(managed_queues_clause(user))
        )

    assert managed(boss) >= 1
    assert managed(scoped) == 0
    assert managed(make_user()) == 0


def test_the_office_filter_never_widens_a_scope(session, make_user, offices):
    boss = make_user(role="supervisor")
    set_scope(session, boss, ["JKT"])
    assert scope_from_args(session, boss, {"office": "JKT"}).office_code == "JKT"
    with pytest.raises(ScopeNotFound, match="Unknown office 'MKS'"):
        scope_from_args(session, boss, {"office": "MKS"})


def test_a_scoped_supervisor_is_never_served_the_agency_wide_snapshot(
    session, make_user, offices, tickets
):
    boss, jkt, jabar = (make_user(role="supervisor") for _ in range(3))
    set_scope(session, jkt, ["JKT"])
    set_scope(session, jabar, regions=["JABAR"])
    scope = scope_from_args(session, boss, {})

    def created(user) -> int:
        return snapshots.page_figures(session, user, scope).total[0].created

    assert created(boss) == 4  # and now an agency-wide snapshot is stored and fresh
    assert created(jkt) == 1  # one office: that office's snapshot
    assert created(jabar) == 2  # several: a snapshot of her own set
    keys = set(session.scalars(sa.select(snapshots.FiguresSnapshot.key)))
    assert snapshots.snapshot_key(scope) in keys
    assert any("&offices=" in key for key in keys)
    # served again from what was stored, still her own figures
    assert (created(jkt), created(jabar), created(boss)) == (1, 2, 4)


def test_a_scoped_supervisor_who_works_a_queue_claims_only_her_offices_tickets(
    session, make_user, make_queue, make_conversation, make_ticket, offices, clock
):
    from pandawa.tickets.claims import claim_next

    queue = make_queue("LOKET")
    other = make_ticket(queue=queue, conversation=make_conversation(office=offices["MKS"]))
    clock.advance(minutes=1)
    mine = make_ticket(queue=queue, conversation=make_conversation(office=offices["JKT"]))
    boss = make_user(role="supervisor", queues=[queue])
    set_scope(session, boss, ["JKT"])

    assert claim_next(session, boss) is mine  # though MKS's waited longer
    assert claim_next(session, boss) is None
    assert other.status == "waiting"


def test_a_scoped_supervisor_edits_no_canned_answers(session, make_user, make_queue, offices):
    from pandawa.tickets.canned.queries import edit_scope

    queue = make_queue("LOKET")
    boss, scoped = (make_user(role="supervisor", queues=[queue]) for _ in range(2))
    set_scope(session, scoped, ["JKT"])
    assert [q.code for q in edit_scope(session, boss).queues] == ["LOKET"]
    assert edit_scope(session, scoped).queues == () and not edit_scope(session, scoped).allows(None)
