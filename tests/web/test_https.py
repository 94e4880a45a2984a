"""Served over https (PUBLIC_BASE_URL https://): HSTS on every answer, and every cookie
Secure, HttpOnly and SameSite=Lax. Over plain http (development) no HSTS and no Secure flag,
or the browser would refuse the cookies on http://127.0.0.1."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from pandawa.app import create_app
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from tests.harness import (
    INBOUND_PATH,
    csrf_token,
    inbound_form,
    reset_throttle,
    sign_in,
    with_password,
)

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture(autouse=True)
def _web(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/login"), ("get", "/healthz"), ("get", "/api/v1/queues"), ("post", INBOUND_PATH)],
)
def test_every_answer_over_https_carries_hsts(client, method, path):
    # pages, probes, the API's 401 and an unsigned webhook's 403 alike
    response = getattr(client, method)(path, data=inbound_form() if method == "post" else None)

    assert response.headers["Strict-Transport-Security"] == HSTS


def test_the_session_cookie_is_secure_http_only_and_same_site(client, session, make_user):
    user = with_password(make_user())

    response = sign_in(client, user.email)

    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_language_cookie_is_secure_too(client):
    response = client.post("/lang", data={"lang": "en", "csrf_token": csrf_token(client)})

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def plain_http_app(app) -> Iterator[Flask]:
    settings = dataclasses.replace(settings_of(app), public_base_url="http://127.0.0.1:5000")
    local = create_app(settings=settings)
    yield local
    with local.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_default()  # the session's app stays Celery's default


def test_plain_http_development_has_no_hsts_and_no_secure_cookies(plain_http_app):
    web = plain_http_app.test_client()

    page = web.get("/login")
    response = web.post("/lang", data={"lang": "en", "csrf_token": csrf_token(web)})

    assert "Strict-Transport-Security" not in page.headers
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert "Secure" not in cookie and "HttpOnly" in cookie
