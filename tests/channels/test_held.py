"""Held messages: an agent's text written while the 24-hour window is shut is stored `held`,
never sent, until the citizen writes; then it goes out, in order, before anything newer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound, queue_template, release_held
from pandawa.core.extensions import db

pytestmark = pytest.mark.usefixtures("live_db")


@pytest.fixture
def conversation(app, make_conversation):
    """A committed conversation: (id, our number, the citizen's address)."""
    with app.app_context():
        conv = make_conversation()
        found = (conv.id, conv.channel_address, conv.contact.address)
        db.session.commit()
        return found


def hold(app, conversation, body: str) -> list[int]:
    conversation_id, ours, citizen = conversation
    with app.app_context():
        rows = queue_outbound(
            db.session,
            provider="twilio",
            sender=ours,
            recipient=citizen,
            body=body,
            conversation_id=conversation_id,
            hold=True,
        )
        db.session.commit()
        return [r.id for r in rows]


def statuses(app) -> dict[int, str]:
    with app.app_context():
        return dict(db.session.execute(sa.select(Message.id, Message.status)).all())


def test_held_text_is_never_sent_until_released(
    app, conversation, run_task, broker, twilio_fake, clock
):
    held = hold(app, conversation, "Baik Bu, berkas Anda sudah kami terima.")

    assert statuses(app) == {held[0]: "held"}
    assert broker("channels.send_message") == []  # no send task at all
    assert run_task("channels.send_message", held[0]).result == "skipped"  # a stray one
    clock.advance(hours=3)
    assert run_task("channels.sweep_outbox").result == 0  # the sweeper leaves it alone
    assert twilio_fake.requests == []


def test_release_sends_held_texts_in_order_before_newer_messages(
    app, conversation, run_task, broker, twilio_fake, clock
):
    conversation_id, ours, citizen = conversation
    first = hold(app, conversation, "Pertama: data Anda sedang kami periksa.")
    # a long text is held as several parts, all of them
    second = hold(app, conversation, "\n\n".join(["Kedua: " + "rincian iuran. " * 90] * 2))
    # the template asking the citizen to answer is not held back by the held texts
    with app.app_context():
        template = queue_template(
            db.session,
            provider="twilio",
            sender=ours,
            recipient=citizen,
            content_sid="HX" + "7" * 32,
            variables={"1": "PDW-20261201-0007"},
            conversation_id=conversation_id,
            body_preview="Tiket PDW-20261201-0007 siap.",
        ).id
        db.session.commit()
    assert run_task("channels.send_message", template).result == "queued"

    clock.advance(hours=30)
    published_before = broker("channels.send_message")
    with app.app_context():
        # the citizen answered: the bot replies, then the held texts are released
        [reply] = queue_outbound(
            db.session,
            provider="twilio",
            sender=ours,
            recipient=citizen,
            body="Terima kasih, petugas akan melanjutkan.",
            conversation_id=conversation_id,
        )
        released = release_held(db.session, conversation_id)
        db.session.commit()
        reply_id = reply.id
        updated = set(
            db.session.scalars(sa.select(Message.updated_at).where(Message.id.in_(first + second)))
        )

    held = first + second
    assert (released, len(second)) == (3, 2)
    assert updated == {clock.now()}
    published = broker("channels.send_message")
    for args in published_before:
        published.remove(args)
    assert sorted(published) == sorted([[reply_id]] + [[i] for i in held])
    # whatever order the worker picks them up in, they reach the citizen oldest first
    for message_id in [reply_id, *reversed(held[1:])]:
        assert run_task("channels.send_message", message_id).state == "RETRY"
    assert twilio_fake.messages[1:] == []
    for message_id in [*held, reply_id]:
        assert run_task("channels.send_message", message_id).result == "queued"
    with app.app_context():
        held_bodies = [db.session.get(Message, i).body for i in held]
    sent = twilio_fake.messages
    assert sent[0].content_sid == "HX" + "7" * 32 and sent[0].body is None
    assert [m.body for m in sent[1:]] == [*held_bodies, "Terima kasih, petugas akan melanjutkan."]
    assert [b.split(":")[0] for b in held_bodies] == ["Pertama", "Kedua", "Kedua"]


def test_release_touches_only_that_conversations_held_texts(
    app, conversation, make_conversation, broker
):
    mine = hold(app, conversation, "Untuk warga ini.")
    with app.app_context():
        other = make_conversation()
        [theirs] = queue_outbound(
            db.session,
            provider="twilio",
            sender=other.channel_address,
            recipient=other.contact.address,
            body="Untuk warga lain.",
            conversation_id=other.id,
            hold=True,
        )
        db.session.commit()
        theirs_id = theirs.id

        assert release_held(db.session, conversation[0]) == 1
        db.session.commit()
        assert release_held(db.session, conversation[0]) == 0  # nothing held any more
        db.session.commit()

    assert statuses(app) == {mine[0]: "pending", theirs_id: "held"}
    assert broker("channels.send_message") == [mine]
