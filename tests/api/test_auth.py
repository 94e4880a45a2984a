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
