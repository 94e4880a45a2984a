"""`/admin/dead-letters`: an admin sees parked inbound messages (sender masked, no body) and
puts one back to be processed; agents and supervisors get 403, strangers the sign-in page, a
retry without its CSRF token 400."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from pandawa.channels.ingest import InboundMessage, store_inbound
from pandawa.channels.models import Message
from pandawa.conversations import deadletter
from tests.harness import CITIZEN, OFFICE, csrf_token, sign_in, with_password

PAGE = "/admin/dead-letters"
BODY = "rahasia: NIK 3174015708900001"


class PoisonError(RuntimeError):
    pass


@pytest.fixture
def parked(session) -> Message:
    """An inbound message from CITIZEN, parked by MAX_ATTEMPTS failures (the real operation)."""
    message_id = store_inbound(
        session,
        InboundMessage(
            provider="twilio",
            provider_message_id="SM" + uuid.uuid4().hex,
            sender=CITIZEN,
            recipient=OFFICE,
            body=BODY,
        ),
    )
    for _ in range(deadletter.MAX_ATTEMPTS):
        deadletter.record_failure(session, message_id, PoisonError())
    session.commit()
    return session.get(Message, message_id)


@pytest.fixture
def published(broker):
    """The tasks handed on, as their argument lists in text."""
    return lambda name: [json.dumps(args) for args in broker(name)]


def _admin(client, make_user):
    admin = with_password(make_user(role="admin"))
    sign_in(client, admin.email)
    return admin


def test_the_admin_sees_the_parked_message_masked(client, session, make_user, parked):
    _admin(client, make_user)

    page = client.get(PAGE)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-message="{parked.id}"' in html
    assert "+62812****7890" in html  # mask_phone of CITIZEN
    assert "6281234567890" not in html and "3174015708900001" not in html
    assert "PoisonError" in html
    assert "Pesan gagal diproses" in html  # Bahasa Indonesia first


def test_retry_puts_it_back_to_be_processed(client, session, make_user, parked, published):
    _admin(client, make_user)
    token = csrf_token(client, PAGE)

    before = published("conversations.process_inbound")

    response = client.post(f"{PAGE}/{parked.id}/retry", data={"csrf_token": token})

    assert response.status_code == 302
    session.expire_all()
    assert (parked.status, parked.processed_at, parked.attempts) == ("received", None, 0)
    assert published("conversations.process_inbound") == [*before, f"[{parked.id}]"]
    page = client.get(PAGE).get_data(as_text=True)
    assert f'data-message="{parked.id}"' not in page
    assert "Pesan dimasukkan lagi ke antrean pemrosesan." in page


def test_retry_of_a_message_that_is_not_parked_is_404(client, session, make_user, parked):
    _admin(client, make_user)
    token = csrf_token(client, PAGE)
    client.post(f"{PAGE}/{parked.id}/retry", data={"csrf_token": token})

    again = client.post(f"{PAGE}/{parked.id}/retry", data={"csrf_token": token})

    assert again.status_code == 404


def test_a_retry_without_its_csrf_token_is_refused(client, session, make_user, parked):
    _admin(client, make_user)

    response = client.post(f"{PAGE}/{parked.id}/retry")

    assert response.status_code == 400
    session.expire_all()
    assert parked.status == "dead"


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_agents_and_supervisors_are_refused(client, session, make_user, parked, role):
    user = with_password(make_user(role=role))
    sign_in(client, user.email)
    token = csrf_token(client, "/console")

    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}/{parked.id}/retry", data={"csrf_token": token}).status_code == 403
    session.expire_all()
    assert parked.status == "dead"


def test_anonymous_is_sent_to_sign_in(client, session, parked):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert session.scalar(sa.select(Message.status).where(Message.id == parked.id)) == "dead"
