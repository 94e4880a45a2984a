"""Fixtures of the live-update tests: an app with the live blueprint and sign-in, a signed-in
test client, and readers of the live streams."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient

from pandawa.accounts.models import User
from pandawa.core import live
from pandawa.core.extensions import db
from tests.console.helpers import sign_in as console_sign_in
from tests.console.helpers import with_password


class _Client(FlaskClient):
    """Requests here reuse the test's app context, so `g` outlives a request; a browser's next
    request would not see the user (or CSRF token) cached there for the previous one."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def sign_in(app, connection) -> Callable[[User | None], FlaskClient]:
    """A test client signed in as `user` through the real sign-in form; None: anonymous."""

    def make(user: User | None) -> FlaskClient:
        client = _Client(app, app.response_class, use_cookies=True)
        if user is not None:
            with_password(user)
            db.session.flush()
            response = console_sign_in(client, user.email)
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client

    return make


@pytest.fixture
def stream_reader(app) -> Callable[[list[str]], Callable[[], list[live.Entry]]]:
    """`reader = stream_reader([codes])` notes where the queues' streams are now;
    `reader()` returns what was published to them since."""

    def start(codes: list[str]) -> Callable[[], list[live.Entry]]:
        with app.app_context():
            bus = live.get_bus()
            cursor = bus.heads(codes)

        def read() -> list[live.Entry]:
            return bus.read(dict(cursor))

        return read

    return start
