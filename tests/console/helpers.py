"""Shared by the browser-page tests: wiring, signing in, CSRF tokens from the pages."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from pandawa.accounts.passwords import hash_password
from pandawa.accounts.throttle import reset_all

PASSWORD = "kata-sandi-uji-2026"
_HASH: list[str] = []
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def reset_throttle(app: Flask) -> None:
    with app.app_context():
        reset_all()


def with_password(user):  # type: ignore[no-untyped-def]
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    user.password_hash = _HASH[0]
    return user


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})
