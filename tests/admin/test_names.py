"""Naming a user: `pandawa users set-name EMAIL NAME` and the name field of /admin/users."""

from __future__ import annotations

import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.core.extensions import db
from tests.harness import csrf_token, sign_in, with_password


def _name(email: str) -> str:
    db.session.expire_all()
    return db.session.scalar(sa.select(User.name).where(User.email == email))


def test_set_name_from_the_command_line(app, session, make_user):
    make_user("siti@example.go.id")
    runner = app.test_cli_runner()

    result = runner.invoke(args=["users", "set-name", "siti@example.go.id", "Siti  Rahayu"])
    assert result.exit_code == 0, result.output
    assert "'Siti Rahayu'" in result.output
    assert _name("siti@example.go.id") == "Siti Rahayu"

    unknown = runner.invoke(args=["users", "set-name", "nobody@example.go.id", "X"])
    assert unknown.exit_code != 0


def test_an_admin_names_a_user_in_the_users_page(client, session, make_user):
    admin = with_password(make_user("admin@example.go.id", role="admin"))
    agent = make_user("budi.s@example.go.id")
    sign_in(client, admin.email)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f'action="/admin/users/{agent.id}/name"' in page
    token = csrf_token(client, "/admin/users")

    refused = client.post(f"/admin/users/{agent.id}/name", data={"name": "Tanpa Token"})
    assert refused.status_code == 400  # CSRF
    response = client.post(
        f"/admin/users/{agent.id}/name", data={"name": "Budi Santoso", "csrf_token": token}
    )
    assert response.status_code == 302
    assert _name("budi.s@example.go.id") == "Budi Santoso"
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'value="Budi Santoso"' in page


def test_only_admins_may_name_users(client, session, make_user):
    supervisor = with_password(make_user(role="supervisor"))
    agent = make_user("c@example.go.id")
    sign_in(client, supervisor.email)
    token = csrf_token(client, "/console")
    response = client.post(f"/admin/users/{agent.id}/name", data={"name": "X", "csrf_token": token})
    assert response.status_code == 403
    assert _name("c@example.go.id") != "X"
