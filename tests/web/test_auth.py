"""Sign-in, sign-out, throttling and `/` redirects of the browser pages."""

from __future__ import annotations

import pytest

from tests.harness import (
    PASSWORD,
    csrf_token,
    reset_throttle,
    sign_in,
    with_password,
)


@pytest.fixture(autouse=True)
def _web(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


def test_login_page_has_labelled_fields_in_indonesian(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<label for="email">Alamat email</label>' in page
    assert '<label for="password">Kata sandi</label>' in page


def test_login_page_switches_to_english(client):
    client.post("/lang", data={"lang": "en", "csrf_token": csrf_token(client)})
    page = client.get("/login").get_data(as_text=True)
    assert "Email address" in page and "Password" in page


def test_sign_in_then_out(client, session, make_user):
    user = with_password(make_user("agen@example.go.id"))
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console")
    assert client.get("/console").status_code == 200
    assert client.get("/").headers["Location"].endswith("/console")

    token = csrf_token(client, "/console")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/console").status_code == 302  # back to the sign-in page
    assert client.get("/").headers["Location"].endswith("/login")


def test_session_cookie_is_secure_and_http_only(client, session, make_user):
    user = with_password(make_user())
    response = sign_in(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert "remember_token" not in response.headers.get("Set-Cookie", "")


def test_wrong_password_shows_an_error_and_no_session(client, session, make_user):
    user = with_password(make_user())
    response = sign_in(client, user.email, "salah-sekali-123")
    assert response.status_code == 200
    assert "Email atau kata sandi salah." in response.get_data(as_text=True)
    assert client.get("/console").status_code == 302


def test_inactive_user_cannot_sign_in(client, session, make_user):
    user = with_password(make_user())
    user.is_active = False
    session.flush()
    assert sign_in(client, user.email).status_code == 200
    assert client.get("/console").status_code == 302


def test_five_failures_make_even_the_right_password_wait(client, session, make_user):
    user = with_password(make_user())
    for _ in range(5):
        assert sign_in(client, user.email, "salah-sekali-123").status_code == 200
    response = sign_in(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert "coba lagi dalam 1 detik" in response.get_data(as_text=True)
    assert client.get("/console").status_code == 302


def test_login_without_csrf_is_refused(client, session, make_user):
    user = with_password(make_user())
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


def test_next_parameter_never_leaves_the_site(client, session, make_user):
    user = with_password(make_user())
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/console")
