"""GET /api/v1/tickets/<number>/media/<message_id>/<index>: the citizen's stored files."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

# registers the route on the API blueprint (until pandawa/api/views.py imports it)
import pandawa.api.media  # noqa: F401
from pandawa.core.config import settings_of

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64)
PDF = b"%PDF-1.7\n%%EOF\n"
EXT = {"image/jpeg": "jpg", "application/pdf": "pdf"}


@pytest.fixture
def media_dir(app, tmp_path, monkeypatch) -> Path:
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions, "pandawa.settings", dataclasses.replace(settings, media_dir=tmp_path)
    )
    return tmp_path


@pytest.fixture
def stored(add_message, media_dir):
    """An inbound message on `ticket` whose media item is stored (the file written)."""

    def add(ticket, content: bytes = JPEG, kind: str = "image/jpeg", **item):
        digest = hashlib.sha256(content).hexdigest()
        name = f"{digest}.{EXT[kind]}"
        (media_dir / name).write_bytes(content)
        message = add_message(ticket, "in", "")
        message.media = [
            {
                "url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
                "content_type": kind,
                "status": "stored",
                "sha256": digest,
                "size": len(content),
                "stored_name": name,
                **item,
            }
        ]
        return message

    return add


@pytest.fixture
def desk(session, make_queue, make_user, make_ticket, bearer):
    class Desk:
        a = make_queue()
        b = make_queue()
        holder = make_user(queues=[a])
        outsider = make_user(queues=[b])
        supervisor = make_user(role="supervisor")
        ticket = make_ticket(queue=a, status="assigned", assignee=holder)

    Desk.holder_h = bearer(Desk.holder)
    Desk.outsider_h = bearer(Desk.outsider)
    Desk.supervisor_h = bearer(Desk.supervisor)
    return Desk


def _get(client, ticket, message, headers, index: int = 0):
    response = client.get(
        f"/api/v1/tickets/{ticket.number}/media/{message.id}/{index}", headers=headers
    )
    response.get_data()
    response.close()
    return response


def test_the_holder_sees_a_photo_inline(client, desk, stored):
    message = stored(desk.ticket)

    response = _get(client, desk.ticket, message, desk.holder_h)

    assert response.status_code == 200
    assert response.data == JPEG
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert f"{desk.ticket.number}-{message.id}-0.jpg" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_supervisor_downloads_a_pdf_as_an_attachment(client, desk, stored):
    message = stored(desk.ticket, PDF, "application/pdf")

    response = _get(client, desk.ticket, message, desk.supervisor_h)

    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_agent_of_another_queue_gets_404(client, desk, stored):
    message = stored(desk.ticket)

    response = _get(client, desk.ticket, message, desk.outsider_h)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_message_of_another_ticket_is_404_even_when_both_are_visible(
    client, desk, stored, make_ticket
):
    other = make_ticket(queue=desk.a)
    message = stored(other)

    response = _get(client, desk.ticket, message, desk.supervisor_h)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert _get(client, other, message, desk.supervisor_h).status_code == 200


@pytest.mark.parametrize(
    "item",
    [
        {"status": "refused", "reason": "not the provider's media host"},
        {"stored_name": "../../secret_key"},
        {"stored_name": "a" * 64 + ".html"},
        {"content_type": "text/html"},
    ],
    ids=["not stored", "path outside", "our pattern only", "type outside the allowlist"],
)
def test_anything_but_a_stored_file_of_ours_is_404(client, desk, stored, item):
    message = stored(desk.ticket, **item)

    response = _get(client, desk.ticket, message, desk.holder_h)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_an_index_past_the_items_or_a_file_gone_is_404(client, desk, stored, media_dir):
    message = stored(desk.ticket)

    assert _get(client, desk.ticket, message, desk.holder_h, index=1).status_code == 404
    (media_dir / message.media[0]["stored_name"]).unlink()
    assert _get(client, desk.ticket, message, desk.holder_h).status_code == 404


def test_no_token_is_401(client, desk, stored):
    message = stored(desk.ticket)

    assert _get(client, desk.ticket, message, {}).status_code == 401
