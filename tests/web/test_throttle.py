"""Sign-in back-off behind a proxy (TRUSTED_PROXIES=1): a guesser waits longer and longer, a
colleague behind the same office address is never stopped; the same with Redis and with the
`sign_in_throttle` table (no REDIS_URL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.accounts.models import SignInThrottle, User
from pandawa.accounts.passwords import hash_password
from pandawa.app import create_app
from pandawa.audit.models import AuditEvent
from pandawa.core.clock import now
from pandawa.core.extensions import db
from tests.harness import PASSWORD, app_environ, csrf_token, reset_throttle

OFFICE = "203.0.113.7"  # the office's NAT address, as the proxy saw it
PROXY = {"REMOTE_ADDR": "10.0.0.2"}


@pytest.fixture(params=["redis", "table"])
def proxied(request, app, live_db, pg_url, redis_url, fake_twilio, clock, tmp_path):
    environ = app_environ(pg_url, redis_url, fake_twilio.url, tmp_path)
    environ["TRUSTED_PROXIES"] = "1"
    if request.param == "table":
        del environ["REDIS_URL"]
    proxied = create_app(environ, clock=clock)
    proxied.config["TESTING"] = True
    reset_throttle(proxied)
    yield proxied
    reset_throttle(proxied)
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_default()


def _users(app, *emails: str) -> None:
    with app.app_context():
        digest = hash_password(PASSWORD)
        for email in emails:
            db.session.add(User(email=email, role="agent", created_at=now(), password_hash=digest))
        db.session.commit()


def _attempt(client, email: str, password: str, address: str = OFFICE):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
        headers={"X-Forwarded-For": address},
        environ_base=PROXY,
    )


def test_a_guesser_backs_off_and_a_colleague_signs_in(proxied, clock):
    _users(proxied, "korban@example.go.id", "rekan@example.go.id")
    attacker = proxied.test_client()

    statuses = [
        _attempt(attacker, "korban@example.go.id", "tebakan-salah").status_code for _ in range(20)
    ]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    refused = _attempt(attacker, "korban@example.go.id", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"

    waits = []
    for _ in range(4):  # each wait served, each new failure doubles the next one
        clock.advance(seconds=int(refused.headers["Retry-After"]))
        assert _attempt(attacker, "korban@example.go.id", "tebakan-salah").status_code == 200
        refused = _attempt(attacker, "korban@example.go.id", PASSWORD)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
    assert waits == [2, 4, 8, 16]

    colleague = proxied.test_client()
    response = _attempt(colleague, "rekan@example.go.id", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/console"

    with proxied.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert {r.address for r in rows} == {OFFICE}  # the client, not the proxy
        actions = [r.action for r in rows]
        assert actions.count("sign_in_failed") == 9 and actions[-1] == "sign_in"
        assert actions.count("sign_in_throttled") == 15 + 1 + 4
        if not proxied.extensions["pandawa.settings"].redis_url:
            assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInThrottle)) > 0


def test_strangers_cannot_lock_the_user_out_of_their_office(proxied, clock):
    _users(proxied, "pemilik@example.go.id")
    owner = proxied.test_client()
    assert _attempt(owner, "pemilik@example.go.id", PASSWORD).status_code == 302

    stranger = proxied.test_client()
    for n in range(20):  # up to 3 tries from each of 7 addresses: no pair reaches its limit
        address = f"198.51.100.{n // 3 + 1}"
        assert _attempt(stranger, "pemilik@example.go.id", "tebakan", address).status_code == 200

    elsewhere = _attempt(stranger, "pemilik@example.go.id", "tebakan", "198.51.100.99")
    assert elsewhere.status_code == 429  # the account's soft back-off, at a new address
    assert int(elsewhere.headers["Retry-After"]) <= 60
    back_at_the_office = proxied.test_client()
    assert _attempt(back_at_the_office, "pemilik@example.go.id", PASSWORD).status_code == 302
