"""Server-side session revocation and expiry: a copied session cookie stops working once the
user signs out, changes their password, is deactivated or signed out everywhere, or when the
session was idle too long or is simply too old. Every step leaves an audit row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.audit.models import AuditEvent
from tests.harness import PASSWORD, csrf_token, reset_throttle, sign_in, with_password


@pytest.fixture(autouse=True)
def _web(app, browser):
    reset_throttle(app)
    _new.append(browser)
    yield
    _new.clear()
    reset_throttle(app)


_new: list = []


def _client(app):
    return _new[0](app)


def _signed_in(app, email: str):
    client = _client(app)
    assert sign_in(client, email).status_code == 302
    return client


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str, path: str = "/console"):
    """The captured cookie, on another browser."""
    thief = _client(app)
    thief.set_cookie("session", cookie)
    return thief.get(path)


def _refused(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _actions(session, user_id: int | None = None) -> list[str]:
    stmt = sa.select(AuditEvent.action).order_by(AuditEvent.id)
    if user_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == user_id)
    return list(session.scalars(stmt))


def test_a_cookie_copied_before_sign_out_is_refused_after(app, session, make_user):
    user = with_password(make_user())
    client = _signed_in(app, user.email)
    cookie = _cookie(client)
    assert _replay(app, cookie).status_code == 200

    client.post("/logout", data={"csrf_token": csrf_token(client, "/console")})

    assert _refused(_replay(app, cookie))
    assert _actions(session, user.id) == ["sign_in", "sign_out", "session_expired"]
    expired = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "session_expired"))
    assert expired.one().details == {"reason": "revoked"}


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, session, make_user):
    user = with_password(make_user())
    here, elsewhere = _signed_in(app, user.email), _signed_in(app, user.email)
    copied = _cookie(elsewhere)

    page = here.get("/account/password")
    assert "Ganti kata sandi" in page.get_data(as_text=True)
    token = csrf_token(here, "/account/password")
    session.commit()  # the refused change's rollback must not take the user with it
    wrong = here.post(
        "/account/password",
        data={
            "current_password": "bukan-ini-sandinya",
            "new_password": "sandi-baru-yang-panjang",
            "confirm_password": "sandi-baru-yang-panjang",
            "csrf_token": token,
        },
    )
    assert "Kata sandi saat ini salah" in wrong.get_data(as_text=True)
    assert _replay(app, copied).status_code == 200  # nothing changed yet

    response = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "sandi-baru-yang-panjang",
            "confirm_password": "sandi-baru-yang-panjang",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert here.get("/console").status_code == 200
    assert _refused(elsewhere.get("/console"))
    assert _refused(_replay(app, copied))
    assert "password_changed" in _actions(session, user.id)
    fresh = _client(app)
    assert sign_in(fresh, user.email, "sandi-baru-yang-panjang").status_code == 302


def test_password_change_needs_csrf(app, session, make_user):
    user = with_password(make_user())
    client = _signed_in(app, user.email)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "x" * 20, "confirm_password": "x" * 20},
    )
    assert response.status_code == 400


def test_sign_out_everywhere_ends_every_session(app, session, make_user):
    user = with_password(make_user())
    one, two = _signed_in(app, user.email), _signed_in(app, user.email)
    copied = _cookie(two)
    response = one.post(
        "/logout/everywhere", data={"csrf_token": csrf_token(one, "/account/password")}
    )
    assert response.status_code == 302
    assert _refused(one.get("/console"))
    assert _refused(two.get("/console"))
    assert _refused(_replay(app, copied))
    assert "sign_out_everywhere" in _actions(session, user.id)


def test_admin_signs_a_user_out_everywhere_and_deactivates(app, session, make_user):
    admin = with_password(make_user(role="admin"))
    agent = with_password(make_user())
    desk = _signed_in(app, agent.email)
    copied = _cookie(desk)
    boss = _signed_in(app, admin.email)
    token = csrf_token(boss, "/admin/users")
    assert "Keluar dari semua perangkat" in boss.get("/admin/users").get_data(as_text=True)

    response = boss.post(f"/admin/users/{agent.id}/sign-out-everywhere", data={"csrf_token": token})
    assert response.status_code == 302
    assert _refused(_replay(app, copied))
    assert _refused(desk.get("/console"))

    desk = _signed_in(app, agent.email)
    copied = _cookie(desk)
    boss.post(f"/admin/users/{agent.id}/deactivate", data={"csrf_token": token})
    assert _refused(_replay(app, copied))
    rows = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.actor_id == admin.id, AuditEvent.action != "sign_in")
        .order_by(AuditEvent.id)
    ).all()
    assert [(r.action, r.details["user_id"]) for r in rows] == [
        ("sign_out_everywhere", agent.id),
        ("user_deactivated", agent.id),
    ]
    assert rows[0].address == "127.0.0.1"


def test_admin_password_reset_ends_the_users_sessions(app, session, make_user):
    admin = with_password(make_user(role="admin"))
    agent = with_password(make_user())
    copied = _cookie(_signed_in(app, agent.email))
    boss = _signed_in(app, admin.email)
    boss.post(
        f"/admin/users/{agent.id}",
        data={
            "role": "agent",
            "password": "sandi-reset-oleh-admin",
            "csrf_token": csrf_token(boss, "/admin/users"),
        },
    )
    assert _refused(_replay(app, copied))
    assert "password_changed" in _actions(session, admin.id)


def test_an_idle_session_ends(app, session, clock, make_user):
    user = with_password(make_user())  # SESSION_IDLE_MINUTES 480 (the default)
    client = _signed_in(app, user.email)
    clock.advance(hours=7)  # used after 7 hours: alive, and the "last seen" stamp moves
    assert client.get("/console").status_code == 200
    clock.advance(minutes=479)
    assert client.get("/console").status_code == 200
    clock.advance(minutes=480)  # 23 hours after signing in: within the maximum age
    assert _refused(client.get("/console"))
    expired = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "session_expired"))
    assert expired.one().details == {"reason": "idle"}


def test_no_session_outlives_its_maximum_age(app, session, clock, make_user):
    user = with_password(make_user())  # SESSION_MAX_HOURS 24 (the default)
    client = _signed_in(app, user.email)
    for _ in range(23):
        clock.advance(hours=1)
        assert client.get("/console").status_code == 200
    clock.advance(minutes=59)
    assert client.get("/console").status_code == 200
    clock.advance(minutes=1)
    assert _refused(client.get("/console"))
    expired = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "session_expired"))
    assert expired.one().details == {"reason": "max_age"}


def test_sign_in_and_failures_are_audited_without_the_typed_email(app, session, make_user):
    user = with_password(make_user())
    session.commit()  # the failed sign-in's rollback must not take the user with it
    client = _client(app)
    sign_in(client, user.email, "salah-sekali-123")
    sign_in(client, "tidak.ada@example.go.id", "salah-sekali-123")
    client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
        headers={"X-Forwarded-For": "198.51.100.9"},  # not believed: TRUSTED_PROXIES is 0
    )
    rows = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.action, r.actor_id) for r in rows] == [
        ("sign_in_failed", user.id),
        ("sign_in_failed", None),
        ("sign_in", user.id),
    ]
    assert rows[1].actor_label.startswith("email#")
    assert "tidak.ada" not in rows[1].actor_label + str(rows[1].details)
    assert {r.address for r in rows} == {"127.0.0.1"}


def test_a_session_from_before_versions_is_refused(app, session, make_user):
    user = with_password(make_user())
    client = _client(app)
    with client.session_transaction() as old:
        old["_user_id"] = str(user.id)
        old["_fresh"] = True
    assert _refused(client.get("/console"))
    assert session.get(User, user.id).session_version == 0


def test_only_a_request_that_uses_the_session_gets_a_cookie(app, session):
    # webhooks, probes and the API carry no session cookie: none is set on them
    client = _client(app)
    probe = client.get("/healthz")
    page = client.get("/login")  # its form's CSRF token lives in the session

    assert probe.status_code == 200
    assert "Set-Cookie" not in probe.headers
    assert page.headers["Set-Cookie"].startswith("session=")
    assert client.get("/login").status_code == 200  # the cookie read back opens the session
