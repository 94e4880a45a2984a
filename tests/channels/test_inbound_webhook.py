"""POST /webhooks/twilio/whatsapp: signatures, form checks, idempotent storage, hand-over."""

from __future__ import annotations

import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.core.extensions import db
from pandawa.core.metrics import REGISTRY
from tests.harness import CITIZEN, INBOUND_PATH, OFFICE, PUBLIC_BASE_URL, at_once, inbound_form

TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _messages(session) -> list[Message]:
    return list(session.scalars(sa.select(Message).order_by(Message.id)))


def test_a_signed_message_is_stored_and_answered_with_empty_twiml(
    client, session, post_signed, broker
):
    response = post_signed(client, INBOUND_PATH, inbound_form())

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.data == TWIML
    [message] = _messages(session)
    assert (message.direction, message.provider, message.status) == ("in", "twilio", "received")
    assert (message.sender, message.recipient) == (CITIZEN, OFFICE)
    assert message.body == "Halo, saya mau tanya soal iuran"
    assert message.message_type == "text" and message.flag is None
    assert message.extra == {"ProfileName": "Siti", "WaId": "6281234567890"}
    # handed on to the conversation layer, by name, once committed
    assert broker("conversations.process_inbound") == [[message.id]]


def test_unsigned_request_is_refused_and_nothing_stored(client, session, broker):
    response = client.post(INBOUND_PATH, data=inbound_form())

    assert response.status_code == 403
    assert _messages(session) == []
    assert broker("conversations.process_inbound") == []


def test_wrong_signature_is_refused(client, session):
    response = client.post(
        INBOUND_PATH, data=inbound_form(), headers={"X-Twilio-Signature": "bm90IGl0"}
    )

    assert response.status_code == 403
    assert _messages(session) == []


def test_signature_for_another_url_is_refused(client, session, post_signed):
    response = post_signed(
        client, INBOUND_PATH, inbound_form(), signed_for=PUBLIC_BASE_URL + "/webhooks/other"
    )

    assert response.status_code == 403
    assert _messages(session) == []


def test_signature_for_another_form_is_refused(client, session):
    from tests.harness import sign

    signature = sign(PUBLIC_BASE_URL + INBOUND_PATH, inbound_form(Body="asli"))
    response = client.post(
        INBOUND_PATH, data=inbound_form(Body="diubah"), headers={"X-Twilio-Signature": signature}
    )

    assert response.status_code == 403
    assert _messages(session) == []


def test_behind_a_tls_proxy_the_public_url_is_what_counts(client, session, post_signed):
    # the proxy forwards plain http to internal:8000; Twilio signed the public https URL
    response = post_signed(client, INBOUND_PATH, inbound_form(), base_url="http://internal:8000")

    assert response.status_code == 200
    assert len(_messages(session)) == 1


def test_a_signature_made_for_the_host_header_is_refused(client, session, post_signed):
    response = post_signed(
        client,
        INBOUND_PATH,
        inbound_form(),
        base_url="http://internal:8000",
        signed_for="http://internal:8000" + INBOUND_PATH,
    )

    assert response.status_code == 403
    assert _messages(session) == []


def test_a_signature_made_with_the_default_port_spelled_out_is_accepted(
    client, session, post_signed
):
    # Twilio signs some requests for https://host:443/…: the URL as configured fails the one
    # HMAC tried first, and the port variants are tried before refusing
    with_port = PUBLIC_BASE_URL.replace(".go.id", ".go.id:443") + INBOUND_PATH
    response = post_signed(client, INBOUND_PATH, inbound_form(), signed_for=with_port)

    assert response.status_code == 200
    assert len(_messages(session)) == 1


def test_a_second_number_of_the_sender_pool_validates_on_the_same_url(client, session, post_signed):
    first = post_signed(client, INBOUND_PATH, inbound_form("SM1"))
    second = post_signed(client, INBOUND_PATH, inbound_form("SM2", To="whatsapp:+6281100000099"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert [m.recipient for m in _messages(session)] == [OFFICE, "whatsapp:+6281100000099"]


def test_missing_fields_answer_400_naming_the_field(client, session, post_signed):
    for field in ("MessageSid", "From", "To"):
        response = post_signed(client, INBOUND_PATH, inbound_form(**{field: None}))

        assert response.status_code == 400, field
        assert response.json["error"]["field"] == field
        assert field in response.json["error"]["message"]
    assert _messages(session) == []


def test_a_repeated_message_sid_is_stored_once(client, session, post_signed, broker):
    form = inbound_form("SMrepeat")
    first = post_signed(client, INBOUND_PATH, form)
    second = post_signed(client, INBOUND_PATH, form)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.data == TWIML
    [message] = _messages(session)
    assert broker("conversations.process_inbound") == [[message.id]]


def test_the_same_message_twice_at_once_is_stored_once(app, live_db, post_signed):
    form = inbound_form("SMconcurrent")
    statuses = at_once(
        lambda client: post_signed(client, INBOUND_PATH, form).status_code,
        [app.test_client() for _ in range(2)],
        timeout=30,
    )

    assert statuses == [200, 200]
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    assert count == 1


def test_an_unknown_message_type_is_stored_flagged_and_handed_on(
    client, session, post_signed, broker
):
    response = post_signed(client, INBOUND_PATH, inbound_form(MessageType="reaction", Body=""))

    assert response.status_code == 200
    [message] = _messages(session)
    assert message.message_type == "reaction"
    assert message.flag == "unsupported: reaction"
    assert broker("conversations.process_inbound") == [[message.id]]


def test_a_nul_character_is_stored_removed_not_refused_forever(client, session, post_signed):
    # PostgreSQL text cannot hold NUL: refusing with 503 would make Twilio retry for ever
    body = "NIK saya\x00 <script>alert(1)</script> 🙏 مرحبا"
    response = post_signed(client, INBOUND_PATH, inbound_form(Body=body, ProfileName="Siti\x00"))

    assert response.status_code == 200
    [message] = _messages(session)
    assert message.body == body.replace("\x00", "")
    assert message.extra["ProfileName"] == "Siti"
    assert message.flag == "control characters removed"


def test_media_is_stored_as_urls(client, session, post_signed):
    form = inbound_form(
        MessageType="image",
        Body="KTP saya",
        NumMedia="2",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        MediaContentType0="image/jpeg",
        MediaUrl1="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        MediaContentType1="application/pdf",
    )
    response = post_signed(client, INBOUND_PATH, form)

    assert response.status_code == 200
    [message] = _messages(session)
    assert message.message_type == "image" and message.flag is None
    assert [m["content_type"] for m in message.media] == ["image/jpeg", "application/pdf"]
    assert message.media[0]["url"].endswith("/Media/ME1")


def test_media_without_message_type_gets_a_derived_type(client, session, post_signed):
    form = inbound_form(
        MessageType=None,
        Body="",
        NumMedia="1",
        MediaContentType0="application/pdf",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    )
    post_signed(client, INBOUND_PATH, form)

    [message] = _messages(session)
    assert message.message_type == "document"


def test_media_without_a_url_is_flagged(client, session, post_signed):
    # view-once and other media WhatsApp does not hand over arrive without MediaUrl
    response = post_signed(
        client, INBOUND_PATH, inbound_form(MessageType="image", NumMedia="1", Body="")
    )

    assert response.status_code == 200
    [message] = _messages(session)
    assert message.flag == "unsupported: media without URL"


def test_a_location_keeps_its_coordinates(client, session, post_signed):
    form = inbound_form(
        MessageType="location",
        Body="",
        Latitude="-6.2088",
        Longitude="106.8456",
        Address="Jl. Letjen Suprapto, Jakarta",
        Label="Kantor BPJS",
        OriginalRepliedMessageSid="SMearlier",
    )
    post_signed(client, INBOUND_PATH, form)

    [message] = _messages(session)
    assert message.message_type == "location"
    assert message.extra["Latitude"] == "-6.2088" and message.extra["Longitude"] == "106.8456"
    assert message.extra["Label"] == "Kantor BPJS"
    assert message.extra["OriginalRepliedMessageSid"] == "SMearlier"


def test_long_text_emoji_and_markup_are_stored_exactly(client, session, post_signed):
    body = "مرحبا 👋🏽 <script>alert(1)</script> " + "x" * 5000
    post_signed(client, INBOUND_PATH, inbound_form(Body=body))

    [message] = _messages(session)
    assert message.body == body


def test_requests_are_timed_and_new_messages_counted(client, session, post_signed):
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    timed = sample("pandawa_webhook_request_duration_seconds_count", webhook="twilio_whatsapp")
    counted = sample("pandawa_messages_in_total")

    post_signed(client, INBOUND_PATH, inbound_form("SMmetrics"))
    post_signed(client, INBOUND_PATH, inbound_form("SMmetrics"))  # a repeat
    client.post(INBOUND_PATH, data=inbound_form("SMunsigned"))  # refused

    assert (
        sample("pandawa_webhook_request_duration_seconds_count", webhook="twilio_whatsapp")
        == timed + 3
    )
    assert sample("pandawa_messages_in_total") == counted + 1
