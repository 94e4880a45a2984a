"""`/admin/users`: admins manage accounts and queue membership; everyone else gets 403."""

from __future__ import annotations

import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.core.extensions import db
from tests.harness import csrf_token, sign_in, with_password


def test_agents_and_supervisors_are_refused(client, session, make_user):
    for role in ("agent", "supervisor"):
        user = with_password(make_user(role=role))
        sign_in(client, user.email)
        assert client.get("/admin/users").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/console")})


def test_anonymous_is_sent_to_sign_in(client, session):
    assert "/login" in client.get("/admin/users").headers["Location"]


def test_admin_creates_changes_and_deactivates_a_user(client, session, make_user, make_queue):
    make_queue("KTP")
    make_queue("PAJAK")
    admin = with_password(make_user("admin@example.go.id", role="admin"))
    sign_in(client, admin.email)
    page = client.get("/admin/users")
    assert page.status_code == 200 and "admin@example.go.id" in page.get_data(as_text=True)

    token = csrf_token(client, "/admin/users")
    response = client.post(
        "/admin/users",
        data={
            "email": "Baru@Example.go.id",
            "name": "Petugas Baru",
            "role": "agent",
            "queues": ["KTP"],
            "password": "sandi-baru-panjang",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "baru@example.go.id"))
    assert [q.code for q in user.queues] == ["KTP"] and user.password_hash

    client.post(
        f"/admin/users/{user.id}",
        data={"role": "supervisor", "queues": ["KTP", "PAJAK"], "csrf_token": token},
    )
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.role == "supervisor" and sorted(q.code for q in user.queues) == ["KTP", "PAJAK"]

    client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(User, user.id).is_active is False


def test_bad_input_is_explained(client, session, make_user):
    admin = with_password(make_user(role="admin"))
    sign_in(client, admin.email)
    token = csrf_token(client, "/admin/users")
    response = client.post(
        "/admin/users",
        data={"email": "bukan-email", "role": "agent", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Alamat email tidak valid" in response.get_data(as_text=True)


def test_admin_lists_and_revokes_a_users_tokens(client, session, clock, make_user):
    from pandawa.accounts.models import ApiToken
    from pandawa.accounts.operations import issue_token
    from pandawa.audit.models import AuditEvent

    admin = with_password(make_user(role="admin"))
    agent = make_user("api.agent@example.go.id")
    token, raw = issue_token(session, agent, name="skrip-laporan", days=30)
    sign_in(client, admin.email)

    page = client.get(f"/admin/users/{agent.id}/tokens").get_data(as_text=True)
    assert "skrip-laporan" in page and "belum pernah" in page and "Cabut" in page
    response = client.post(
        f"/admin/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token(client, f"/admin/users/{agent.id}/tokens")},
    )
    assert response.status_code == 302
    assert db.session.get(ApiToken, token.id).revoked_at == clock.now()
    assert "dicabut" in client.get(f"/admin/users/{agent.id}/tokens").get_data(as_text=True)
    api = client.get("/api/v1/queues", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401
    row = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "token_revoked"))
    assert row.actor_id == admin.id and row.details == {"user_id": agent.id, "token_id": token.id}


def test_agents_cannot_reach_the_token_pages(client, session, make_user):
    from pandawa.accounts.operations import issue_token

    agent = with_password(make_user())
    token, _raw = issue_token(session, agent)
    sign_in(client, agent.email)
    assert client.get(f"/admin/users/{agent.id}/tokens").status_code == 403
    token_value = csrf_token(client, "/console")
    response = client.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": token_value})
    assert response.status_code == 403
    assert token.revoked_at is None
