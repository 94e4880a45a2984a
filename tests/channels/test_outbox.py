"""queue_outbound: one pending row per part, each sent by a task published after the commit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound
from pandawa.channels.split import MAX_BODY
from tests.harness import CITIZEN, OFFICE


def test_a_long_reply_becomes_ordered_pending_parts(session, broker, clock):
    body = "\n\n".join(f"Paragraf {i}. " + "Informasi layanan BPJS. " * 60 for i in range(3))

    rows = queue_outbound(session, provider="twilio", sender=OFFICE, recipient=CITIZEN, body=body)
    session.commit()

    stored = list(session.scalars(sa.select(Message).order_by(Message.id)))
    assert [m.id for m in stored] == [r.id for r in rows]
    assert len(stored) == 3
    assert [m.body.split(".")[0] for m in stored] == ["Paragraf 0", "Paragraf 1", "Paragraf 2"]
    assert all(len(m.body) <= MAX_BODY for m in stored)
    assert {(m.direction, m.status, m.attempts) for m in stored} == {("out", "pending", 0)}
    assert {m.created_at for m in stored} == {clock.now()}
    # one send task per part, published once the transaction committed
    assert sorted(broker("channels.send_message")) == [[m.id] for m in stored]


def test_nothing_is_published_when_the_transaction_rolls_back(session, broker):
    queue_outbound(session, provider="twilio", sender=OFFICE, recipient=CITIZEN, body="Halo")
    session.rollback()

    assert broker("channels.send_message") == []
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_template_is_one_message_with_its_variables(session):
    [row] = queue_outbound(
        session,
        provider="twilio",
        sender=OFFICE,
        recipient=CITIZEN,
        body="Kantor sudah buka; petugas akan membalas.",
        content_sid="HX" + "1" * 32,
        content_variables={"1": "PDW-20261201-0001"},
    )

    assert row.content_sid == "HX" + "1" * 32
    assert row.content_variables == {"1": "PDW-20261201-0001"}
    assert row.status == "pending"


def test_a_message_needs_a_body_or_a_template(session):
    with pytest.raises(ValueError, match="body or a content_sid"):
        queue_outbound(session, provider="twilio", sender=OFFICE, recipient=CITIZEN, body="  ")
