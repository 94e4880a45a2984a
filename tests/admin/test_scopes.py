"""Binding a supervisor to offices or regions (issue 17): `pandawa users scope` as an operator
uses it, and /admin/users as an admin does; both audited, both refusing what cannot be."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.core.extensions import db
from tests.harness import csrf_token, reset_throttle, sign_in, with_password


@pytest.fixture(autouse=True)
def _throttle(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


@pytest.fixture
def offices(session, make_office):
    for code, region in (("JKT", "JABAR"), ("BGR", "JABAR"), ("MKS", "SULSEL")):
        make_office(code).region = region
    session.flush()


@pytest.fixture
def cli(app, session):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=["users", "scope", *args])

    return run


def audit_rows(session) -> list[dict]:
    stmt = sa.select(AuditEvent).where(AuditEvent.action == "user_scope_changed")
    return [row.details for row in session.scalars(stmt.order_by(AuditEvent.id))]


def test_the_command_binds_shows_and_clears_a_scope(cli, session, make_user, offices):
    boss = make_user("kepala.jkt@example.go.id", role="supervisor")

    shown = cli(boss.email)
    assert shown.exit_code == 0 and shown.output == f"{boss.email}\tsupervisor\tagency-wide\n"

    bound = cli(boss.email, "--office", "JKT", "--region", "SULSEL")
    assert bound.exit_code == 0, bound.output
    assert bound.output == f"{boss.email}\tsupervisor\toffices: JKT; regions: SULSEL\n"
    assert cli(boss.email).output.endswith("offices: JKT; regions: SULSEL\n")

    cleared = cli(boss.email, "--clear")
    assert cleared.exit_code == 0 and cleared.output.endswith("\tagency-wide\n")
    assert [row["after"] for row in audit_rows(session)] == [
        "offices: JKT; regions: SULSEL",
        "agency-wide",
    ]


@pytest.mark.parametrize(
    ("role", "args", "message"),
    [
        ("supervisor", ("--office", "SBY"), "Unknown office: SBY (known: BGR, JKT, MKS)"),
        ("supervisor", ("--region", "JATIM"), "Unknown region: JATIM (known: JABAR, SULSEL)"),
        ("supervisor", ("--office", "JKT", "--clear"), "--clear takes no --office or --region"),
        ("admin", ("--office", "JKT"), "Only supervisors can be bound"),
        ("agent", ("--region", "JABAR"), "Only supervisors can be bound"),
    ],
)
def test_the_command_refuses_what_cannot_be(cli, session, make_user, offices, role, args, message):
    user = make_user(role=role)
    result = cli(user.email, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert audit_rows(session) == []


def test_an_admin_sets_a_scope_in_the_page_and_it_is_audited(client, session, make_user, offices):
    admin = with_password(make_user(role="admin"))
    boss = make_user("kepala.wil@example.go.id", role="supervisor")
    sign_in(client, admin.email)

    page = client.get("/admin/users").get_data(as_text=True)
    assert f'action="/admin/users/{boss.id}/scope"' in page
    assert "Cakupan: seluruh kantor" in page
    response = client.post(
        f"/admin/users/{boss.id}/scope",
        data={
            "offices": ["MKS"],
            "regions": ["JABAR"],
            "csrf_token": csrf_token(client, "/admin/users"),
        },
    )
    assert response.status_code == 302
    assert "Cakupan: MKS, JABAR" in client.get("/admin/users").get_data(as_text=True)
    [row] = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user_scope_changed"))
    assert row.actor_id == admin.id
    assert row.details["after"] == "offices: MKS; regions: JABAR"


def test_the_page_refuses_a_scope_for_an_admin_and_needs_csrf(client, session, make_user, offices):
    admin = with_password(make_user(role="admin"))
    other = make_user(role="admin")
    sign_in(client, admin.email)

    assert (
        client.post(f"/admin/users/{other.id}/scope", data={"offices": ["JKT"]}).status_code == 400
    )
    refused = client.post(
        f"/admin/users/{other.id}/scope",
        data={"offices": ["JKT"], "csrf_token": csrf_token(client, "/admin/users")},
        follow_redirects=True,
    )
    assert "Only supervisors can be bound" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert audit_rows(session) == []


def test_agents_and_supervisors_cannot_set_scopes(client, session, make_user, offices):
    boss = with_password(make_user(role="supervisor"))
    sign_in(client, boss.email)
    token = csrf_token(client, "/dashboard/blocked")
    response = client.post(f"/admin/users/{boss.id}/scope", data={"csrf_token": token})
    assert response.status_code == 403
