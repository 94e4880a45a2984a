"""GET /api/v1/offices and a supervisor's open-now/close-now (clock: Tue 1 Dec 2026, 10:00 WIB)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.hours.models import OfficeOverride
from tests.hours.conftest import WIB, WIT, local


@pytest.fixture
def headers(make_user, make_token):
    def make(role: str = "agent") -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(make_user(role=role))}"}

    return make


def override_rows(session) -> list[tuple[str, str, int | None]]:
    rows = session.scalars(sa.select(OfficeOverride).order_by(OfficeOverride.id))
    return [(r.kind, r.reason, r.actor_id) for r in rows]


def test_offices_lists_each_office_with_its_next_change(client, make_office, headers):
    make_office("JKT-PUSAT")
    make_office("JAYAPURA", timezone=WIT)
    retired = make_office("LAMA")
    retired.is_active = False

    response = client.get("/api/v1/offices", headers=headers())

    assert response.status_code == 200
    assert response.json["next_cursor"] is None
    assert response.json["items"] == [
        {
            "code": "JAYAPURA",
            "name": "Kantor Cabang Uji",
            "timezone": WIT,
            "zone_abbreviation": "WIT",
            "is_open_now": True,  # 12:00 WIT
            "next_change_at": "2026-12-01T06:00:00+00:00",
            "next_change_local": "Selasa, 1 Desember 2026 pukul 15.00 WIT",
        },
        {
            "code": "JKT-PUSAT",
            "name": "Kantor Cabang Uji",
            "timezone": WIB,
            "zone_abbreviation": "WIB",
            "is_open_now": True,
            "next_change_at": "2026-12-01T08:00:00+00:00",
            "next_change_local": "Selasa, 1 Desember 2026 pukul 15.00 WIB",
        },
    ]


def test_a_closed_office_names_its_next_opening(client, make_office, headers, clock):
    make_office("JKT-PUSAT")
    clock.set(local(WIB, 2026, 11, 28, 10, 0))  # Saturday

    (item,) = client.get("/api/v1/offices", headers=headers()).json["items"]

    assert item["is_open_now"] is False
    assert item["next_change_at"] == "2026-11-30T01:00:00+00:00"
    assert item["next_change_local"] == "Senin, 30 November 2026 pukul 08.00 WIB"


def test_no_token_is_401(client):
    response = client.get("/api/v1/offices")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("action", ["open-now", "close-now"])
def test_an_agent_may_not_open_or_close_an_office(client, session, make_office, headers, action):
    make_office("JKT-PUSAT")

    response = client.post(f"/api/v1/offices/JKT-PUSAT/{action}", headers=headers("agent"))

    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert override_rows(session) == []


def test_a_supervisor_closes_for_the_day_and_it_shows_at_once(
    client, session, make_office, make_user, make_token
):
    make_office("JKT-PUSAT")
    make_user(role="supervisor")  # another supervisor: the override names the one who closed
    closer = make_user(role="supervisor")
    supervisor = {"Authorization": f"Bearer {make_token(closer)}"}

    response = client.post(
        "/api/v1/offices/JKT-PUSAT/close-now", headers=supervisor, json={"reason": "Banjir"}
    )

    assert response.status_code == 200, response.json
    body = response.json
    assert body["is_open_now"] is False
    assert body["next_change_local"] == "Rabu, 2 Desember 2026 pukul 08.00 WIB"
    assert body["override"]["kind"] == "closed"
    assert body["override"]["reason"] == "Banjir"
    assert body["override"]["starts_at"] == "2026-12-01T03:00:00+00:00"
    assert body["override"]["ends_at"] == "2026-12-01T17:00:00+00:00"  # midnight WIB
    (row,) = override_rows(session)
    assert row == ("closed", "Banjir", closer.id)
    (item,) = client.get("/api/v1/offices", headers=supervisor).json["items"]
    assert item["is_open_now"] is False


def test_an_admin_opens_on_a_saturday_without_a_body(client, session, make_office, headers, clock):
    make_office("JKT-PUSAT")
    clock.set(local(WIB, 2026, 12, 5, 9, 0))

    response = client.post("/api/v1/offices/JKT-PUSAT/open-now", headers=headers("admin"))

    assert response.status_code == 200, response.json
    assert response.json["is_open_now"] is True
    assert response.json["next_change_local"] == "Minggu, 6 Desember 2026 pukul 00.00 WIB"
    assert override_rows(session)[0][:2] == ("open", "")


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "code"),
    [
        ("/api/v1/offices/NOPE/open-now", {}, 404, "not_found"),
        ("/api/v1/offices/JKT-PUSAT/open-now", {"json": {"reason": 42}}, 422, "invalid_parameter"),
        (
            "/api/v1/offices/JKT-PUSAT/open-now",
            {"json": {"reason": "x" * 201}},
            422,
            "invalid_parameter",
        ),
        (
            "/api/v1/offices/JKT-PUSAT/close-now",
            {"data": "not json", "content_type": "application/json"},
            400,
            "invalid_json",
        ),
    ],
)
def test_bad_requests_answer_in_the_api_error_shape(
    client, session, make_office, headers, path, kwargs, status, code
):
    make_office("JKT-PUSAT")

    response = client.post(path, headers=headers("supervisor"), **kwargs)

    assert response.status_code == status
    assert response.json["error"]["code"] == code
    assert override_rows(session) == []
