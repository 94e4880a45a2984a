"""Flood control: counted in the database, judged by when each message arrived."""

from __future__ import annotations

import itertools

from pandawa.channels.models import Message
from pandawa.citizens.models import Conversation
from pandawa.conversations.flood import check_flood
from pandawa.core.clock import now
from tests.factories import inbound

_sid = itertools.count(1)


def _inbound(conversation, body: str = "halo") -> Message:
    return inbound(conversation, body)


def _judge(session, conversation, messages) -> list[str]:
    """What the worker decides for each message, in arrival order, processed now."""
    return [check_flood(session, conversation, m, now()) for m in messages]


def test_twenty_five_in_a_minute(session, clock, make_conversation):
    conversation = make_conversation()
    messages = []
    for _ in range(25):
        messages.append(_inbound(conversation))
        clock.advance(seconds=2)  # 25 messages within 50 seconds

    verdicts = _judge(session, conversation, messages)

    assert verdicts == ["ok"] * 20 + ["warn"] + ["silent"] * 4
    assert conversation.state_data["slow_down_at"] == now().isoformat()

    clock.advance(minutes=1)
    assert _judge(session, conversation, [_inbound(conversation)]) == ["ok"]


def test_a_burst_stored_in_one_instant_counts_in_arrival_order(session, clock, make_conversation):
    conversation = make_conversation()
    messages = [_inbound(conversation) for _ in range(100)]
    clock.advance(minutes=5)  # judged when they arrived, not when the worker gets to them

    verdicts = _judge(session, conversation, messages)

    assert verdicts.count("warn") == 1
    assert verdicts.index("warn") == 20
    assert verdicts[:20] == ["ok"] * 20
    assert set(verdicts[21:]) == {"silent"}


def test_a_sustained_flood_gets_at_most_one_polite_message_a_minute(
    session, clock, make_conversation
):
    conversation = make_conversation()
    verdicts = []
    for _ in range(150):  # one message a second for two and a half minutes
        message = _inbound(conversation)
        verdicts.append(check_flood(session, conversation, message, now()))
        clock.advance(seconds=1)

    warned_at = [second for second, verdict in enumerate(verdicts) if verdict == "warn"]
    assert warned_at[0] == 20
    assert len(warned_at) == 3
    assert all(later - earlier >= 60 for earlier, later in itertools.pairwise(warned_at))
    assert "ok" not in verdicts[20:]


def test_a_backlog_worked_off_late_is_not_a_flood(session, clock, make_conversation):
    conversation = make_conversation()
    messages = []
    for _ in range(30):
        messages.append(_inbound(conversation))
        clock.advance(seconds=30)  # two a minute: a normal pace
    clock.advance(minutes=20)  # the broker was down; the worker catches up now

    assert set(_judge(session, conversation, messages)) == {"ok"}


def test_conversations_are_independent(session, make_conversation, make_office):
    flooding = make_conversation()
    neighbour = make_conversation()
    other_number = make_office(whatsapp_address="whatsapp:+6281199999999")
    same_citizen_elsewhere = Conversation(
        contact_id=flooding.contact_id,
        channel_address=other_number.whatsapp_address,
        office_id=other_number.id,
        state="idle",
        state_data={},
        created_at=now(),
        updated_at=now(),
    )
    session.add(same_citizen_elsewhere)
    session.flush()

    flood = [_inbound(flooding) for _ in range(30)]
    assert _judge(session, flooding, flood)[-1] == "silent"

    assert _judge(session, neighbour, [_inbound(neighbour)]) == ["ok"]
    assert _judge(session, same_citizen_elsewhere, [_inbound(same_citizen_elsewhere)]) == ["ok"]
    assert "slow_down_at" not in neighbour.state_data
