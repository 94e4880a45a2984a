"""The simulator page: renders, needs the CSRF token, stores what the citizen types, shows
replies as text. Runs on its own PostgreSQL database and Redis db with the simulator provider."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from pandawa.accounts.models import User
from pandawa.app import create_app
from pandawa.catalog.loader import SHIPPED_CATALOG, load_file
from pandawa.channels.models import Message
from pandawa.core.clock import FixedClock
from pandawa.core.extensions import db
from pandawa.core.migrations import upgrade
from pandawa.provisioning.operations import load_default
from tests.conversations.drain import faq_questions, run_process_inbound
from tests.services import temporary_database, temporary_redis_db

SIMULATOR = Path(__file__).resolve().parents[2] / "pandawa" / "simulator"
_numbers = itertools.count(1)
# the shipped catalogue's first office: the number the simulator writes to by default
OUR_NUMBER = load_file(SHIPPED_CATALOG).offices[0].whatsapp


@pytest.fixture(scope="module")
def sim_app(tmp_path_factory) -> Iterator[Flask]:
    with temporary_database("pandawa_sim") as pg_url, temporary_redis_db() as redis_url:
        environ = {
            "PANDAWA_ENV": "test",
            "DATABASE_URL": pg_url,
            "CELERY_BROKER_URL": redis_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "simulator-test-secret-0123456789",
            "WHATSAPP_PROVIDER": "simulator",
            "PANDAWA_INSTANCE_PATH": str(tmp_path_factory.mktemp("sim-instance")),
            # each message answered at once (the order tests send two in the same instant)
            "BOT_COALESCE_SECONDS": "0",
        }
        app = create_app(environ, clock=FixedClock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC)))
        app.config["TESTING"] = True
        upgrade(pg_url)
        with app.app_context():
            load_default(db.session)
            agent = User(email="petugas@example.go.id", role="agent", created_at=datetime.now(UTC))
            db.session.add(agent)
            db.session.commit()
            app.config["TEST_AGENT_ID"] = agent.id
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def web(sim_app) -> FlaskClient:
    return sim_app.test_client()


@pytest.fixture
def citizen() -> str:
    # each test talks as its own citizen, so tests need not clean up after one another
    return f"whatsapp:+62813{next(_numbers):08d}"


def csrf_token(web: FlaskClient) -> str:
    page = web.get("/simulator")
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


def stored(app: Flask, citizen: str) -> list[Message]:
    with app.app_context():
        try:
            return list(
                db.session.scalars(
                    sa.select(Message).where(Message.sender == citizen).order_by(Message.id)
                )
            )
        finally:
            db.session.remove()


def add_reply(app: Flask, citizen: str, body: str, **fields) -> int:
    at = datetime(2026, 12, 1, 3, 1, tzinfo=UTC)
    with app.app_context():
        row = Message(
            direction="out",
            provider="simulator",
            sender=OUR_NUMBER,
            recipient=citizen,
            body=body,
            status=fields.pop("status", "delivered"),
            created_at=at,
            updated_at=at,
            **fields,
        )
        db.session.add(row)
        db.session.commit()
        new_id = row.id
        db.session.remove()
    return new_id


def test_page_renders_the_phone(web):
    page = web.get("/simulator")
    assert page.status_code == 200
    assert "Simulator WhatsApp Warga" in page.text
    assert 'placeholder="Ketik pesan"' in page.text
    assert ">Kirim</button>" in page.text
    assert 'value="whatsapp:+6281234567890"' in page.text
    assert re.search(r'<meta name="csrf-token" content="[^"]+"', page.text)


def test_page_has_no_inline_script_and_its_assets_are_served(web):
    page = web.get("/simulator")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    tags = re.sub(r'"[^"]*"', '""', "".join(re.findall(r"<[^>]+>", page.text)))
    assert not re.search(r"\son[a-z]+\s*=", tags)  # no inline event handlers either
    for src in re.findall(r'(?:src|href)="(/simulator/static/[^"]+)"', page.text):
        with web.get(src) as asset:
            assert asset.status_code == 200, src
            assert "cdn" not in asset.get_data(as_text=True).lower()


def test_page_escapes_what_it_is_given(web):
    page = web.get("/simulator", query_string={"name": "<script>alert(1)</script>"})
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_post_without_csrf_token_is_refused(web, sim_app, citizen):
    web.get("/simulator")
    answer = web.post("/simulator/messages", json={"citizen": citizen, "body": "halo"})
    assert answer.status_code == 400
    assert stored(sim_app, citizen) == []


def test_post_with_token_stores_an_inbound_message(web, sim_app, citizen):
    answer = web.post(
        "/simulator/messages",
        json={"citizen": citizen, "name": "Budi Santoso", "body": "halo"},
        headers={"X-CSRFToken": csrf_token(web)},
    )
    assert answer.status_code == 201
    [row] = stored(sim_app, citizen)
    assert answer.get_json()["id"] == row.id
    assert (row.direction, row.provider, row.body, row.status) == (
        "in",
        "simulator",
        "halo",
        "received",
    )
    assert row.recipient == OUR_NUMBER
    assert row.provider_message_id.startswith("SIM")
    assert row.extra.get("ProfileName") == "Budi Santoso"
    assert row.created_at == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # the app's clock


def test_form_post_with_token_field_works_and_local_numbers_are_normalised(web, sim_app):
    answer = web.post(
        "/simulator/messages",
        data={
            "citizen": "0813 9999 0001",
            "body": "menu",
            "csrf_token": csrf_token(web),
        },
    )
    assert answer.status_code == 201
    assert [m.body for m in stored(sim_app, "whatsapp:+6281399990001")] == ["menu"]


def test_two_sends_are_two_messages(web, sim_app, citizen):
    token = csrf_token(web)
    for body in ("1", "1"):
        answer = web.post(
            "/simulator/messages",
            json={"citizen": citizen, "body": body},
            headers={"X-CSRFToken": token},
        )
        assert answer.status_code == 201
    assert [m.body for m in stored(sim_app, citizen)] == ["1", "1"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"citizen": "bukan nomor", "body": "halo"}, "citizen"),
        ({"citizen": "whatsapp:+6281300000000", "body": "   "}, "body"),
        ({"citizen": "whatsapp:+6281300000000"}, "body"),
    ],
)
def test_bad_input_is_refused_naming_the_field(web, sim_app, payload, field):
    answer = web.post("/simulator/messages", json=payload, headers={"X-CSRFToken": csrf_token(web)})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == field
    assert stored(sim_app, "whatsapp:+6281300000000") == []


def test_script_in_a_message_comes_back_as_text(web, citizen):
    body = '<script>alert("x")</script> <img src=x onerror=alert(1)> *tebal*'
    posted = web.post(
        "/simulator/messages",
        json={"citizen": citizen, "body": body},
        headers={"X-CSRFToken": csrf_token(web)},
    )
    assert posted.status_code == 201
    answer = web.get("/simulator/messages", query_string={"citizen": citizen, "after": 0})
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    [item] = answer.get_json()["items"]
    assert item["body"] == body
    assert item["direction"] == "in"


def test_templates_and_script_never_treat_message_text_as_html():
    templates = "".join(p.read_text() for p in (SIMULATOR / "templates").rglob("*.html"))
    assert not re.search(r"\|\s*safe|autoescape\s+false|Markup", templates)
    script = "".join(p.read_text() for p in (SIMULATOR / "static").rglob("*.js"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert "textContent" in script


def test_messages_show_the_conversation_in_order_with_wib_times(web, sim_app, citizen):
    posted = web.post(
        "/simulator/messages",
        json={"citizen": citizen, "body": "halo"},
        headers={"X-CSRFToken": csrf_token(web)},
    )
    first = posted.get_json()["id"]
    bot = add_reply(sim_app, citizen, "Selamat datang di Pandawa.\n1. Kepesertaan")
    agent = add_reply(
        sim_app,
        citizen,
        "Baik, saya bantu.",
        status="pending",
        author_id=sim_app.config["TEST_AGENT_ID"],
    )
    add_reply(sim_app, citizen, "catatan internal", is_internal_note=True)
    add_reply(sim_app, "whatsapp:+6289999999999", "bukan untuk warga ini")

    data = web.get("/simulator/messages", query_string={"citizen": citizen}).get_json()
    assert [i["id"] for i in data["items"]] == [first, bot, agent]
    assert [i["direction"] for i in data["items"]] == ["in", "out", "out"]
    assert data["items"][1]["body"] == "Selamat datang di Pandawa.\n1. Kepesertaan"
    assert data["items"][0]["time"] == "10.00 WIB"
    assert data["items"][1]["time"] == "10.01 WIB"
    assert data["items"][1]["created_at"] == "2026-12-01T10:01:00+07:00"
    assert [i["author"] for i in data["items"]] == ["citizen", "bot", "agent"]
    assert data["items"][2]["status"] == "pending"
    assert data["last_id"] == agent

    newer = web.get(
        "/simulator/messages", query_string={"citizen": citizen, "after": bot}
    ).get_json()
    assert [i["id"] for i in newer["items"]] == [agent]
    assert {r["id"]: r["status"] for r in newer["recent"]}[first] == "received"


def test_messages_need_a_valid_citizen(web):
    answer = web.get("/simulator/messages", query_string={"citizen": "x", "after": 0})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "citizen"


def test_simulator_does_not_exist_with_twilio(client):
    # the shared test app runs with WHATSAPP_PROVIDER=twilio
    assert client.get("/simulator").status_code == 404
    assert client.post("/simulator/messages", json={"body": "halo"}).status_code == 404


def test_the_phone_s_send_time_orders_the_citizen_s_messages(web, sim_app, citizen):
    """Two sends in flight reach the server the other way round: the bot still answers them in
    the order the citizen pressed send (the page's `sent_at`, the phone's clock)."""
    token = csrf_token(web)
    with sim_app.app_context():
        [(question, answer)] = faq_questions(1)
        db.session.remove()
    pressed = {"Halo": "2026-12-01T02:59:58.100Z", question: "2026-12-01T09:59:59.200+07:00"}
    for body in (question, "Halo"):  # arrival: the later one first
        posted = web.post(
            "/simulator/messages",
            json={"citizen": citizen, "body": body, "sent_at": pressed[body]},
            headers={"X-CSRFToken": token},
        )
        assert posted.status_code == 201
    rows = stored(sim_app, citizen)
    assert [r.provider_sent_at for r in rows] == [
        datetime(2026, 12, 1, 2, 59, 59, 200000, tzinfo=UTC),
        datetime(2026, 12, 1, 2, 59, 58, 100000, tzinfo=UTC),
    ]
    with sim_app.app_context():
        assert run_process_inbound(sim_app, rows[0].id).handled == 2
        replies = db.session.scalars(
            sa.select(Message.body)
            .where(Message.direction == "out", Message.recipient == citizen)
            .order_by(Message.id)
        ).all()
        db.session.remove()
    assert len(replies) == 2 and "Selamat datang" in replies[0] and answer in replies[1], replies


def test_a_send_without_the_phone_s_time_orders_by_arrival(web, sim_app, citizen):
    answer = web.post(
        "/simulator/messages",
        json={"citizen": citizen, "body": "halo"},
        headers={"X-CSRFToken": csrf_token(web)},
    )
    assert answer.status_code == 201
    [row] = stored(sim_app, citizen)
    assert row.provider_sent_at == row.created_at == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("sent_at", ["kemarin sore", "2026-12-01T10:00:00", 1764558000000])
def test_a_send_time_that_is_not_an_instant_is_refused(web, sim_app, citizen, sent_at):
    answer = web.post(
        "/simulator/messages",
        json={"citizen": citizen, "body": "halo", "sent_at": sent_at},
        headers={"X-CSRFToken": csrf_token(web)},
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "sent_at"
    assert stored(sim_app, citizen) == []


def test_an_agent_s_file_shows_by_its_name_on_the_citizen_s_phone(web, sim_app, citizen):
    item = {"status": "stored", "content_type": "application/pdf", "filename": "Surat.pdf"}
    file_id = add_reply(sim_app, citizen, "", media=[item], message_type="document", author_id=None)
    data = web.get("/simulator/messages", query_string={"citizen": citizen}).get_json()
    [shown] = [i for i in data["items"] if i["id"] == file_id]
    assert shown["files"] == ["Surat.pdf"] and shown["body"] == ""
