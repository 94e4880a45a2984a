"""The places that change what the console shows announce it: the conversation task, the
status callback and the send task."""

from __future__ import annotations

import json

import pandawa.channels.tasks  # noqa: F401  (registers the tasks)
from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.conversations.tasks import process_inbound
from pandawa.core.clock import now
from pandawa.hours.models import Office
from pandawa.provisioning.operations import load_default
from tests.channels.conftest import STATUS_PATH, post_signed  # noqa: F401  (fixture)

BODY = "Ini foto KTP saya, NIK 3171234567890001"


def _catalog_conversation(session, make_conversation):
    load_default(session)
    office_code = active_catalog().offices[0].code
    office = session.query(Office).filter_by(code=office_code).one()
    return make_conversation(office=office)


def test_processing_a_citizen_message_announces_it_on_its_ticket(
    app, session, make_conversation, make_queue, make_ticket, stream_reader
):
    conversation = _catalog_conversation(session, make_conversation)
    queue = make_queue()
    ticket = make_ticket(queue=queue, conversation=conversation)
    message = Message(
        direction="in",
        provider="twilio",
        provider_message_id="SMlivehook1",
        sender=conversation.contact.address,
        recipient=conversation.channel_address,
        body=BODY,
        status="received",
        created_at=now(),
        updated_at=now(),
    )
    session.add(message)
    session.commit()
    number, message_id, address = ticket.number, message.id, conversation.contact.address
    read = stream_reader([queue.code])

    assert process_inbound(message_id) == 1

    events = [e.event for e in read()]
    assert {
        "type": "message",
        "ticket": number,
        "queue": queue.code,
        "message_id": message_id,
        "direction": "in",
        "assignee": None,
    } in events
    raw = json.dumps(events)
    assert "3171234567890001" not in raw and address.removeprefix("whatsapp:+") not in raw


def _outbound(session, ticket, sid: str | None, status: str) -> Message:
    message = Message(
        direction="out",
        provider="twilio",
        provider_message_id=sid,
        sender="whatsapp:+6281100000000",
        recipient="whatsapp:+6281234567890",
        body="Baik, kami cek dahulu.",
        status=status,
        ticket_id=ticket.id,
        attempts=1,
        created_at=now(),
        updated_at=now(),
    )
    session.add(message)
    session.flush()
    return message


def test_a_status_callback_moves_the_ticks_live(
    app,
    client,
    session,
    make_queue,
    make_ticket,
    stream_reader,
    post_signed,  # noqa: F811
):
    queue = make_queue()
    ticket = make_ticket(queue=queue)
    message = _outbound(session, ticket, "SMlivestatus1", "sent")
    session.commit()
    message_id, number = message.id, ticket.number
    read = stream_reader([queue.code])

    form = {"MessageSid": "SMlivestatus1", "MessageStatus": "delivered", "AccountSid": "AC1"}
    assert post_signed(client, STATUS_PATH, form).status_code == 200
    stale = {"MessageSid": "SMlivestatus1", "MessageStatus": "sent", "AccountSid": "AC1"}
    assert post_signed(client, STATUS_PATH, stale).status_code == 200  # moves nothing

    assert [e.event for e in read()] == [
        {
            "type": "status",
            "ticket": number,
            "queue": queue.code,
            "message_id": message_id,
            "direction": "out",
            "assignee": None,
            "status": "delivered",
        }
    ]


def test_sending_a_reply_announces_its_status(
    app, session, make_queue, make_ticket, stream_reader, fake_twilio
):
    fake_twilio.reset()
    queue = make_queue()
    ticket = make_ticket(queue=queue)
    message = _outbound(session, ticket, None, "pending")
    message.attempts = 0
    session.commit()
    message_id = message.id
    read = stream_reader([queue.code])

    task = app.extensions["celery"].tasks["channels.send_message"]
    task.push_request(id="live-send", args=[message_id], kwargs={}, retries=0, is_eager=False)
    try:
        task(message_id)
    finally:
        task.pop_request()
    fake_twilio.reset()

    statuses = [e.event for e in read() if e.event["type"] == "status"]
    assert [(e["message_id"], e["status"]) for e in statuses] == [
        (message_id, session.get(Message, message_id).status)
    ]
    assert statuses[0]["status"] in ("queued", "sent", "accepted")
