"""GET, POST /webhooks/meta/whatsapp: verification, X-Hub-Signature-256 on the raw body, every
kind of Cloud API message stored once in Meta's order, delivery statuses with their codes."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from pandawa.channels import meta_inbound
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound
from pandawa.core.config import settings_of
from tests.fakes import meta_graph as graph
from tests.harness import CITIZEN

PATH = "/webhooks/meta/whatsapp"
OURS = "whatsapp:+6281180001600"  # our Meta number
T0 = 1_796_000_000  # a Cloud API `timestamp`, seconds since the epoch


def post(client, payload: dict, *, secret: str = graph.APP_SECRET, headers=None):
    raw, signed = graph.signed(payload, secret)
    return client.post(PATH, data=raw, headers=headers if headers is not None else signed)


def _messages(session) -> list[Message]:
    session.expire_all()
    return list(session.scalars(sa.select(Message).order_by(Message.id)))


# -- verification ----------------------------------------------------------------------------


def test_the_subscription_check_echoes_the_challenge(client):
    args = {"hub.mode": "subscribe", "hub.verify_token": graph.VERIFY_TOKEN, "hub.challenge": "77"}
    response = client.get(PATH, query_string=args)
    assert (response.status_code, response.data) == (200, b"77")


@pytest.mark.parametrize(
    "args",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "77"},
        {"hub.mode": "unsubscribe", "hub.verify_token": graph.VERIFY_TOKEN, "hub.challenge": "7"},
        {"hub.mode": "subscribe", "hub.challenge": "77"},
    ],
    ids=["wrong-token", "wrong-mode", "no-token"],
)
def test_a_wrong_verify_token_or_mode_is_403(client, args):
    response = client.get(PATH, query_string=args)
    assert response.status_code == 403
    assert b"77" not in response.data


# -- signatures ------------------------------------------------------------------------------


def _hello() -> dict:
    return graph.notification(OURS, messages=[graph.text_message(CITIZEN, "Halo", timestamp=T0)])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": graph.signature(b"{}")},
        {"X-Hub-Signature-256": "sha1=" + "0" * 40},
    ],
    ids=["missing", "wrong", "for-another-body", "wrong-scheme"],
)
def test_a_missing_or_bad_signature_is_403_and_nothing_stored(client, session, broker, headers):
    response = post(client, _hello(), headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "bad_signature"
    assert _messages(session) == []
    assert broker("conversations.process_inbound") == []


def test_a_body_signed_with_another_secret_is_403(client, session):
    assert post(client, _hello(), secret="another-app").status_code == 403
    assert _messages(session) == []


def test_the_signature_is_checked_on_the_raw_bytes_not_reparsed_json(client, session):
    # the same JSON with other spacing has another HMAC: signed bytes, not a re-serialisation
    raw = json.dumps(_hello(), indent=2).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": graph.signature(raw)}
    assert client.post(PATH, data=raw, headers=headers).status_code == 200
    assert [m.body for m in _messages(session)] == ["Halo"]


@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=20))
def test_only_the_app_secrets_hmac_of_exactly_these_bytes_passes(body, secret):
    settings = type("S", (), {"meta_app_secret": graph.APP_SECRET})()
    assert meta_inbound.signature_valid(settings, body, graph.signature(body))
    assert meta_inbound.signature_valid(settings, body, graph.signature(body, secret)) is (
        secret == graph.APP_SECRET
    )
    assert not meta_inbound.signature_valid(settings, body + b" ", graph.signature(body))


def test_a_body_that_is_not_json_is_400(client, session):
    raw = b"\xff{not json"
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": graph.signature(raw)}
    response = client.post(PATH, data=raw, headers=headers)
    assert (response.status_code, response.json["error"]["code"]) == (400, "malformed")
    assert _messages(session) == []


def test_malformed_json_is_400_with_a_reason(client, session):
    raw = b'{"object": "page"}'
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": graph.signature(raw)}
    response = client.post(PATH, data=raw, headers=headers)
    assert response.status_code == 400
    assert "whatsapp_business_account" in response.json["error"]["message"]


# -- messages --------------------------------------------------------------------------------


def test_a_text_is_stored_once_with_its_wamid_and_handed_on(client, session, broker):
    payload = _hello()
    assert post(client, payload).status_code == 200
    assert post(client, payload).status_code == 200  # Meta delivers it again: stored once

    [message] = _messages(session)
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert (message.provider, message.provider_message_id) == ("meta", wamid)
    assert (message.sender, message.recipient, message.body) == (CITIZEN, OURS, "Halo")
    assert message.extra["ProfileName"] == "Siti Rahayu"
    assert message.extra["PhoneNumberId"] == graph.PHONE_NUMBER_ID
    assert message.provider_sent_at == datetime.fromtimestamp(T0, UTC)
    assert broker("conversations.process_inbound") == [[message.id]]


def test_messages_are_stored_in_metas_timestamp_order(client, session):
    later = graph.text_message(CITIZEN, "dua", timestamp=T0 + 5)
    earlier = graph.text_message(CITIZEN, "satu", timestamp=T0)
    assert post(client, graph.notification(OURS, messages=[later, earlier])).status_code == 200
    assert [m.body for m in _messages(session)] == ["satu", "dua"]


@pytest.mark.parametrize(
    ("kind", "detail", "body", "extra"),
    [
        (
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "opt-2", "title": "2"}},
            "2",
            {"ButtonPayload": "opt-2", "ButtonText": "2"},
        ),
        (
            "interactive",
            {"type": "list_reply", "list_reply": {"id": "faskes", "title": "Pindah faskes"}},
            "Pindah faskes",
            {"ButtonPayload": "faskes", "ButtonText": "Pindah faskes"},
        ),
        ("button", {"text": "Ya", "payload": "YES"}, "Ya", {"ButtonPayload": "YES"}),
        (
            "location",
            {"latitude": -6.2, "longitude": 106.8, "name": "Kantor", "address": "Jl. Sudirman"},
            "Kantor",
            {"Latitude": "-6.2", "Longitude": "106.8", "Address": "Jl. Sudirman"},
        ),
    ],
    ids=["button-reply", "list-reply", "template-button", "location"],
)
def test_each_kind_reads_as_the_text_the_bot_gets(client, session, kind, detail, body, extra):
    item = graph.message(CITIZEN, kind, detail, timestamp=T0)
    assert post(client, graph.notification(OURS, messages=[item])).status_code == 200
    [message] = _messages(session)
    assert (message.message_type, message.body, message.flag) == (kind, body, None)
    assert extra.items() <= message.extra.items()


def test_shared_contacts_are_kept_as_a_read_vcard_would_be(client, session):
    cards = [
        {
            "name": {"formatted_name": "Budi Santoso", "first_name": "Budi"},
            "phones": [{"phone": "+62 812-9876-5432", "wa_id": "6281298765432", "type": "CELL"}],
        }
    ]
    item = graph.message(CITIZEN, "contacts", {}, timestamp=T0) | {"contacts": cards}
    assert post(client, graph.notification(OURS, messages=[item])).status_code == 200
    [message] = _messages(session)
    assert message.extra["contacts"] == [{"name": "Budi Santoso", "phones": ["+6281298765432"]}]


def test_a_photo_is_stored_by_media_id_and_its_fetch_handed_on(client, session, broker):
    detail = {"id": "1234567890", "mime_type": "image/jpeg", "sha256": "x", "caption": "KTP saya"}
    item = graph.message(CITIZEN, "image", detail, timestamp=T0)
    assert post(client, graph.notification(OURS, messages=[item])).status_code == 200
    [message] = _messages(session)
    assert message.body == "KTP saya"
    assert message.media == [{"media_id": "1234567890", "content_type": "image/jpeg"}]
    assert broker("channels.fetch_media") == [[message.id]]


def test_an_unknown_kind_is_stored_flagged_not_refused(client, session):
    item = graph.message(CITIZEN, "unsupported", {}, timestamp=T0)
    assert post(client, graph.notification(OURS, messages=[item])).status_code == 200
    [message] = _messages(session)
    assert message.flag == "unsupported: unsupported"


# -- statuses --------------------------------------------------------------------------------


@pytest.fixture
def sent(session):
    [row] = queue_outbound(
        session, provider="meta", sender=OURS, recipient=CITIZEN, body="Nomor tiket Anda …"
    )
    row.status, row.provider_message_id = "accepted", graph.wamid()
    session.commit()
    return row


def _status(client, sent, state, **kw):
    item = graph.status(sent.provider_message_id, state, recipient=CITIZEN, timestamp=T0, **kw)
    return post(client, graph.notification(OURS, statuses=[item]))


def test_statuses_move_forward_and_a_late_one_never_back(client, session, sent):
    for state in ("sent", "read", "delivered"):
        assert _status(client, sent, state).status_code == 200
    session.refresh(sent)
    assert sent.status == "read"


def test_a_failure_keeps_metas_error_code_as_twilios_are_kept(client, session, sent):
    assert _status(client, sent, "failed", error=131047).status_code == 200
    session.refresh(sent)
    assert (sent.status, sent.error_code) == ("failed", "131047")
    assert "24 hours" in sent.error_message


def test_the_webhook_is_404_when_meta_is_not_configured(app, client, monkeypatch):
    settings = dataclasses.replace(settings_of(app), meta_app_secret=None)
    monkeypatch.setitem(app.extensions, "pandawa.settings", settings)
    assert post(client, _hello()).status_code == 404


# -- the parser, on anything Meta (or anyone with the secret) could post ----------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "id",
        "from",
        "type",
        "timestamp",
        "text",
        "interactive",
        "contacts",
        "image",
        "context",
        "location",
        "button",
        "errors",
        "status",
        "name",
        "phones",
        "button_reply",
        "error_data",
    ]
)
ITEM = st.dictionaries(FIELDS, JSON | st.dictionaries(FIELDS, JSON, max_size=4), max_size=7)


@given(messages=st.lists(ITEM, max_size=3), statuses=st.lists(ITEM, max_size=3), meta=JSON)
def test_any_shape_is_read_or_refused_as_malformed_never_an_error(messages, statuses, meta):
    value = {"metadata": meta, "messages": messages, "statuses": statuses}
    payload = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    try:
        found = meta_inbound.parse_notification(payload)
    except meta_inbound.MalformedPayload:
        return
    for message in found.messages:
        assert message.provider == "meta" and message.sender.startswith("whatsapp:+")
        assert isinstance(message.body, str) and len(message.message_type) <= 32


@given(stamps=st.lists(st.integers(1_700_000_000, 1_900_000_000), min_size=1, max_size=8))
def test_messages_come_out_in_metas_timestamp_order_each_once(stamps):
    items = [graph.text_message(CITIZEN, str(i), timestamp=t) for i, t in enumerate(stamps)]
    found = meta_inbound.parse_notification(graph.notification(OURS, messages=items))
    assert [m.sent_at for m in found.messages] == sorted(
        datetime.fromtimestamp(t, UTC) for t in stamps
    )
    assert sorted(m.provider_message_id for m in found.messages) == sorted(i["id"] for i in items)
