"""Bearer tokens, the error shape, and unknown routes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pandawa.accounts.models import ApiToken

PROTECTED = [
    ("get", "/api/v1/queues"),
    ("get", "/api/v1/tickets"),
    ("get", "/api/v1/tickets/PDW-261201-7KQ2MX"),
    ("post", "/api/v1/tickets/claim"),
    ("post", "/api/v1/tickets/PDW-261201-7KQ2MX/resolve"),
    ("get", "/api/v1/stats/queues"),
]


def _assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.is_json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_token_is_401(client, method, path):
    response = getattr(client, method)(path)
    _assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer pdw_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "pdw_missing-scheme"],
)
def test_bad_token_is_401(client, header):
    _assert_error(
        client.get("/api/v1/queues", headers={"Authorization": header}), 401, "unauthorized"
    )


def test_valid_token_is_accepted_and_its_use_recorded(
    session, client, clock, make_user, make_token
):
    raw = make_token(make_user())
    headers = {"Authorization": f"Bearer {raw}"}
    token = session.scalars(sa.select(ApiToken)).one()

    assert client.get("/api/v1/queues", headers=headers).status_code == 200
    first_use = clock.now()
    session.refresh(token)
    assert token.last_used_at == first_use

    clock.advance(seconds=30)  # within a minute: no write
    assert client.get("/api/v1/queues", headers=headers).status_code == 200
    session.refresh(token)
    assert token.last_used_at == first_use

    clock.advance(seconds=31)
    assert client.get("/api/v1/queues", headers=headers).status_code == 200
    session.refresh(token)
    assert token.last_used_at == first_use + timedelta(seconds=61)


def test_scheme_is_case_insensitive(session, client, make_user, make_token):
    raw = make_token(make_user())
    assert (
        client.get("/api/v1/queues", headers={"Authorization": f"bearer {raw}"}).status_code == 200
    )


def test_revoked_token_and_inactive_user_are_401(session, client, clock, make_user, make_token):
    user = make_user()
    revoked = make_token(user)
    session.scalars(sa.select(ApiToken)).one().revoked_at = clock.now()
    other = make_user()
    inactive = make_token(other)
    other.is_active = False
    session.flush()

    for raw in (revoked, inactive):
        _assert_error(
            client.get("/api/v1/queues", headers={"Authorization": f"Bearer {raw}"}),
            401,
            "unauthorized",
        )


def test_unknown_api_route_is_404_json(client):
    _assert_error(client.get("/api/v1/nothing/here"), 404, "not_found")
    _assert_error(client.post("/api/v1/"), 404, "not_found")


def test_wrong_method_is_405_json(client):
    response = client.delete("/api/v1/tickets/PDW-261201-7KQ2MX")
    _assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    _assert_error(client.post("/api/v1/queues"), 405, "method_not_allowed")
    _assert_error(client.get("/api/v1/tickets/claim/"), 404, "not_found")


def test_a_token_past_its_expiry_is_401_and_recorded(session, client, clock, make_user):
    from pandawa.accounts.operations import issue_token
    from pandawa.audit.models import AuditEvent

    user = make_user()
    token, raw = issue_token(session, user, name="laptop", days=90)
    assert token.expires_at == clock.now() + timedelta(days=90)
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/queues", headers=headers).status_code == 200

    clock.advance(days=90)
    _assert_error(client.get("/api/v1/queues", headers=headers), 401, "unauthorized")
    rows = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.action, r.actor_id, r.details) for r in rows] == [
        ("token_used", user.id, {"token_id": token.id}),
        ("token_rejected", user.id, {"token_id": token.id, "reason": "expired"}),
    ]


def test_token_use_is_recorded_at_most_once_a_minute(session, client, clock, make_user, make_token):
    from pandawa.audit.models import AuditEvent

    headers = {"Authorization": f"Bearer {make_token(make_user())}"}
    for _ in range(3):
        assert client.get("/api/v1/queues", headers=headers).status_code == 200
    clock.advance(minutes=1)
    assert client.get("/api/v1/queues", headers=headers).status_code == 200
    used = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "token_used")).all()
    assert len(used) == 2 and {r.address for r in used} == {"127.0.0.1"}


def test_a_revoked_token_is_recorded_when_presented(session, client, clock, make_user, make_token):
    from pandawa.audit.models import AuditEvent

    raw = make_token(make_user())
    session.scalars(sa.select(ApiToken)).one().revoked_at = clock.now()
    session.flush()
    _assert_error(
        client.get("/api/v1/queues", headers={"Authorization": f"Bearer {raw}"}),
        401,
        "unauthorized",
    )
    row = session.scalars(sa.select(AuditEvent)).one()
    assert row.action == "token_rejected" and row.details["reason"] == "revoked"
