"""Browsers for the sign-in tests: each request starts without the previous one's `g`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient


class Browser(FlaskClient):
    """Requests here reuse the test's app context, so `g` outlives a request; a real browser's
    next request would not see the user (or CSRF token) cached there for the previous one."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def browser(connection) -> Callable[[Flask], FlaskClient]:
    """`browser(app)`: a new browser (its own cookies) on `app`."""

    def make(app: Flask) -> FlaskClient:
        return Browser(app, app.response_class, use_cookies=True)

    return make
