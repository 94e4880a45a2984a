"""Fixtures of the console tests: the sign-in throttle reset around each test, and test
clients signed in as a user through the real sign-in form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient

from pandawa.accounts.models import User
from pandawa.core.extensions import db
from tests.harness import reset_throttle, sign_in, with_password


@pytest.fixture(autouse=True)
def _web(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


class _Client(FlaskClient):
    """Requests here reuse the test's app context, so `g` outlives a request; a browser's next
    request would not see the user (or CSRF token) cached there for the previous one."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client_as(app, connection) -> Callable[[User | None], FlaskClient]:
    """A test client signed in as `user` through the real sign-in form; None: anonymous."""

    def make(user: User | None) -> FlaskClient:
        client = _Client(app, app.response_class, use_cookies=True)
        if user is not None:
            with_password(user)
            db.session.flush()
            response = sign_in(client, user.email)
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client

    return make


@pytest.fixture
def agent(session, make_user, make_queue):
    """An agent of queue KTP who can sign in (a test module may override it)."""
    queue = make_queue("KTP")
    return with_password(make_user("agen.ktp@example.go.id", queues=[queue])), queue


@pytest.fixture
def signed_in(client, agent):
    """The test client signed in as `agent`."""
    user, _queue = agent
    assert sign_in(client, user.email).status_code == 302
    return client
