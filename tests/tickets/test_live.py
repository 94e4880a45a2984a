"""pandawa.tickets.live: the changes of tickets and of their messages become the console's
events, without personal data; the places that change what the console shows announce it:
the conversation task, the status callback and the send task."""

from __future__ import annotations

import json

import pandawa.channels.tasks  # noqa: F401  (registers the tasks)
from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.conversations.tasks import process_inbound
from pandawa.core.clock import now
from pandawa.hours.models import Office
from pandawa.provisioning.operations import load_default
from pandawa.tickets import claims, operations
from tests.harness import STATUS_PATH

BODY = "Ini foto KTP saya, NIK 3171234567890001"
CITIZEN_DIGITS = "6281299887766"
SECRET_BODY = "NIK saya 3171234567890001, tolong dicek"


def _inbound(session, ticket, body: str = SECRET_BODY) -> Message:
    message = Message(
        direction="in",
        provider="twilio",
        provider_message_id=f"SMlive{ticket.id}x{now().timestamp()}",
        sender=f"whatsapp:+{CITIZEN_DIGITS}",
        recipient="whatsapp:+6281100000000",
        body=body,
        status="processed",
        ticket_id=ticket.id,
        conversation_id=ticket.conversation_id,
        created_at=now(),
        updated_at=now(),
    )
    session.add(message)
    session.flush()
    return message


def test_a_message_on_a_ticket_is_announced_without_its_body_or_number(
    session, make_queue, make_ticket, stream_reader
):
    queue = make_queue()
    ticket = make_ticket(queue=queue)
    read = stream_reader([queue.code])
    message = _inbound(session, ticket)
    session.commit()

    [entry] = read()
    assert entry.event["type"] == "message"
    assert entry.event["ticket"] == ticket.number
    assert entry.event["message_id"] == message.id
    assert entry.event["direction"] == "in"
    raw = json.dumps(entry.event)
    assert "3171234567890001" not in raw and "tolong" not in raw
    assert CITIZEN_DIGITS not in raw and "Siti" not in raw


def test_claim_and_transfer_reach_the_queues_concerned(
    session, make_queue, make_ticket, make_user, stream_reader
):
    source, target = make_queue(), make_queue()
    ticket = make_ticket(queue=source)
    agent = make_user(queues=[source])
    supervisor = make_user(role="supervisor")
    read_source, read_target = stream_reader([source.code]), stream_reader([target.code])

    claims.claim_next(session, agent)
    session.commit()
    [claimed] = read_source()
    assert claimed.event["event"] == "claimed"
    assert claimed.event["status"] == "assigned"
    assert claimed.event["assignee"] == agent.id
    assert read_target() == []

    read_source = stream_reader([source.code])
    operations.transfer(session, ticket, supervisor, target.code, reason="salah antrean")
    session.commit()
    assert [e.event["event"] for e in read_source()] == ["transferred"]
    [moved] = read_target()
    assert moved.event == {
        "type": "ticket",
        "ticket": ticket.number,
        "queue": target.code,
        "event": "transferred",
        "status": "waiting",
        "assignee": None,
        "office": ticket.office.code,
    }
    assert "salah antrean" not in json.dumps(moved.event)


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
        "office": ticket.office.code,
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
    post_signed,
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
            "office": ticket.office.code,
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
