"""A NIK a citizen writes in ten ways, through the real webhook, never reaches a staff page, an
API answer, a CSV export or a log line in full — for an agent, a supervisor and an admin —
until someone presses "show": then exactly one audit row, and the value."""

from __future__ import annotations

import dataclasses
import html
import io
import logging
import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.channels.models import Message
from pandawa.channels.tasks import fetch_media
from pandawa.core.config import EXTENSION_KEY, settings_of
from pandawa.core.logs import RedactNumbers
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import Queue, Ticket
from tests.citizen_story import JPEG, NIK, citizen_writes, media_dir, twilio_fake  # noqa: F401
from tests.harness import csrf_token

PHONE_DIGITS = "81234567890"  # the citizen's number (CITIZEN in tests.harness) in every form
TEN_WAYS = [
    NIK,
    "3174 0157 0890 0001",
    "NIK saya 3174  0157  0890  0001 ya",
    "3174.0157.0890.0001",
    "3174-0157-0890-0001",
    "3174/0157/0890/0001",
    "3174_0157_0890_0001",
    "3174\n0157\n0890\n0001",
    "NIK:3174 0157-0890.0001, KK menyusul",
    "cek https://cek.example.go.id/?nik=3174%200157%200890%200001&hp=%2B6281234567890",
]
_SEPARATORS = re.compile(r"%(?:20|2[BbDdEeFf]|5[Ff]|0[9AaDd])|[\s./_+\-]")


def leaks(text: str) -> bool:
    """Whether the NIK or the citizen's number can be pieced back from `text`."""
    plain = _SEPARATORS.sub("", unquote(unescape_html(text)))
    return NIK in plain or PHONE_DIGITS in plain


def unescape_html(text: str) -> str:
    return html.unescape(text)


@pytest.fixture
def log_lines(app):
    """Everything Pandawa's redacting handlers write during the test, at DEBUG."""
    stream = io.StringIO()
    loggers = [logging.getLogger("pandawa"), logging.getLogger("werkzeug")]
    handlers = [
        h
        for lg in loggers
        for h in lg.handlers
        if any(isinstance(f, RedactNumbers) for f in h.filters)
    ]
    assert handlers
    old_streams = [h.setStream(stream) for h in handlers]
    old_levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    yield stream
    for h, old in zip(handlers, old_streams, strict=True):
        h.setStream(old)
    for lg, level in zip(loggers, old_levels, strict=True):
        lg.setLevel(level)


@pytest.fixture
def written(session, clock, citizen_writes, make_user, media_dir, twilio_fake, log_lines):  # noqa: F811
    """The citizen asks for a service, gives the NIK to the bot, then writes it nine more ways
    and sends a photo of the KTP; the ticket waits in its queue."""
    load_default(session)
    session.commit()
    citizen_writes("halo")
    citizen_writes("3")
    citizen_writes("ya")  # the service's checklist: registered 3 months (issue 17)
    citizen_writes(TEN_WAYS[0])
    citizen_writes("Puskesmas Menteng, Kecamatan Tebet")
    ticket = session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
    assert ticket is not None and ticket.is_open
    for way in TEN_WAYS[1:]:
        citizen_writes(way)
    url = twilio_fake.add_media(JPEG, "image/jpeg")
    photo = citizen_writes(
        "foto KTP", MessageType="image", NumMedia="1", MediaUrl0=url, MediaContentType0="image/jpeg"
    )
    fetch_media(photo)
    session.commit()
    session.expire_all()
    queue = session.get(Queue, ticket.queue_id)
    other = Queue(code="LAIN", name_id="Lain", name_en="Other", sla_seconds=1800)
    session.add(other)
    session.flush()
    users = {
        "agent": make_user("agen@example.go.id", queues=[queue]),
        "supervisor": make_user("spv@example.go.id", role="supervisor"),
        "admin": make_user("admin@example.go.id", role="admin"),
        "stranger": make_user("lain@example.go.id", queues=[other]),
    }
    session.commit()
    stored = session.scalars(sa.select(Message).where(Message.ticket_id == ticket.id)).all()
    assert sum(1 for m in stored if m.direction == "in" and m.body in TEN_WAYS) >= 9
    return ticket, users, photo


def _reveals(session) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "reveal")))


@pytest.mark.parametrize("role", ["agent", "supervisor", "admin"])
def test_no_staff_view_shows_the_nik_or_number_until_revealed(
    role, written, client_as, make_token, session, log_lines
):
    ticket, users, _photo = written
    user = users[role]
    browser = client_as(user)
    pages = {"ticket": browser.get(f"/console/tickets/{ticket.number}")}
    pages["work"] = browser.get("/console")
    if role != "agent":
        pages["drill-down"] = browser.get("/dashboard/tickets")
        pages["csv"] = browser.get("/dashboard/export/tickets.csv")
    api = {"Authorization": f"Bearer {make_token(user)}"}
    session.commit()
    machine = client_as(None)  # an API client: a token, no browser session
    pages["api list"] = machine.get("/api/v1/tickets", headers=api)
    pages["api detail"] = machine.get(f"/api/v1/tickets/{ticket.number}", headers=api)
    assert all(leaks(way) for way in TEN_WAYS)  # the check itself sees every notation
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert not leaks(response.get_data(as_text=True)), name
    assert ticket.number in pages["work"].get_data(as_text=True)
    page = pages["ticket"].get_data(as_text=True)
    assert "3174********0001" in page and "3174.****.****.0001" in page
    assert page.count('data-reveal="message.') >= 10 and 'data-reveal="phone"' in page
    assert 'class="media-link document closed"' in page  # the KTP photo: blurred, closed
    detail = pages["api detail"].get_json()
    assert detail["contact"]["address"] == "whatsapp:+62812****7890"
    assert _reveals(session) == []

    # one deliberate click on a message: its full text, no cache, one audit row
    message = next(
        m
        for m in session.scalars(sa.select(Message).where(Message.ticket_id == ticket.id))
        if m.body == TEN_WAYS[3]
    )
    token = csrf_token(browser, f"/console/tickets/{ticket.number}")
    shown = browser.post(
        f"/console/tickets/{ticket.number}/reveal",
        data={"field": f"message.{message.id}", "csrf_token": token},
    )
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown.get_json()["value"] == "3174.0157.0890.0001"
    [row] = _reveals(session)
    assert (row.actor_id, row.ticket_number, row.field, row.address) == (
        user.id, ticket.number, f"message.{message.id}", "127.0.0.1",  # the test client's address
    )  # fmt: skip
    assert row.contact_id == ticket.contact_id

    # the API's reveal: the number, one more row
    phone = machine.post(
        f"/api/v1/tickets/{ticket.number}/reveal", json={"field": "phone"}, headers=api
    )
    assert phone.status_code == 200 and phone.get_json()["value"] == "+6281234567890"
    assert phone.headers["Cache-Control"] == "no-store"
    assert len(_reveals(session)) == 2

    # and none of it reached a log line
    assert not leaks(log_lines.getvalue())


def test_the_bots_nik_detail_reveals_in_the_console(written, client_as, session):
    ticket, users, _photo = written
    browser = client_as(users["agent"])
    page = browser.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    keys = re.findall(r'data-reveal="(details\.[^"]+)"', page)
    assert keys, "the NIK collected by the bot has a show button"
    token = csrf_token(browser, f"/console/tickets/{ticket.number}")
    shown = browser.post(
        f"/console/tickets/{ticket.number}/reveal", data={"field": keys[0], "csrf_token": token}
    )
    assert shown.status_code == 200 and NIK in shown.get_json()["value"]
    assert len(_reveals(session)) == 1


def test_without_csrf_the_reveal_is_refused(written, client_as, session):
    ticket, users, _photo = written
    browser = client_as(users["agent"])
    response = browser.post(f"/console/tickets/{ticket.number}/reveal", data={"field": "phone"})
    assert response.status_code == 400
    assert _reveals(session) == []


def test_an_agent_of_another_queue_gets_404_and_no_row(written, client_as, make_token, session):
    ticket, users, _photo = written
    browser = client_as(users["stranger"])
    token = csrf_token(browser, "/console")
    response = browser.post(
        f"/console/tickets/{ticket.number}/reveal", data={"field": "phone", "csrf_token": token}
    )
    assert response.status_code == 404
    api = {"Authorization": f"Bearer {make_token(users['stranger'])}"}
    session.commit()
    response = client_as(None).post(
        f"/api/v1/tickets/{ticket.number}/reveal", json={"field": "phone"}, headers=api
    )
    assert response.status_code == 404
    assert _reveals(session) == []


def test_a_role_outside_reveal_roles_gets_403_and_no_row(
    app, written, client_as, make_token, session, monkeypatch
):
    ticket, users, _photo = written
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions, EXTENSION_KEY, dataclasses.replace(settings, reveal_roles=("admin",))
    )
    browser = client_as(users["agent"])
    page = browser.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert 'data-reveal="' not in page  # no button for a role that may not press it
    token = csrf_token(browser, "/console")
    response = browser.post(
        f"/console/tickets/{ticket.number}/reveal", data={"field": "phone", "csrf_token": token}
    )
    assert response.status_code == 403
    api = {"Authorization": f"Bearer {make_token(users['agent'])}"}
    session.commit()
    response = client_as(None).post(
        f"/api/v1/tickets/{ticket.number}/reveal", json={"field": "phone"}, headers=api
    )
    assert response.status_code == 403
    assert _reveals(session) == []


@pytest.mark.parametrize("route", ["console", "api"])
def test_opening_an_identity_photo_leaves_one_document_view_row(
    route, written, client_as, make_token, session
):
    ticket, users, photo = written
    user = users["supervisor"]
    browser = client_as(user)
    if route == "console":
        response = browser.get(f"/console/tickets/{ticket.number}/media/{photo}/0")
    else:
        api = {"Authorization": f"Bearer {make_token(user)}"}
        session.commit()
        response = client_as(None).get(
            f"/api/v1/tickets/{ticket.number}/media/{photo}/0",
            headers=api,
            environ_base={"REMOTE_ADDR": "10.9.8.7"},
        )
    assert response.status_code == 200 and response.data == JPEG
    response.close()
    rows = list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "document_view")))
    assert len(rows) == 1
    row = rows[0]
    expected = "127.0.0.1" if route == "console" else "10.9.8.7"
    assert (row.actor_id, row.ticket_number, row.contact_id, row.address) == (
        user.id, ticket.number, ticket.contact_id, expected,
    )  # fmt: skip
