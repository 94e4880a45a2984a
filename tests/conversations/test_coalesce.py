"""Bursts read together (issue 16): a citizen's messages closer than BOT_COALESCE_SECONDS are
answered once, after the pause, while every one is stored and processed; the flood reply stays
for a real flood. With real commits and the task as a worker runs it; the task coming back
after the pause goes through the task outbox, as it does in production."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from pandawa.catalog.queries import active_catalog
from pandawa.citizens.models import Contact
from pandawa.core import outbox
from pandawa.core.config import EXTENSION_KEY
from pandawa.core.extensions import db
from tests.conversations.drain import (
    deliver,
    faq_questions,
    inbound,
    menu_text,
    new_citizen,
    replies,
    run_process_inbound,
)
from tests.harness import at_once

PAUSE = 3.0
TASK = "conversations.process_inbound"


@pytest.fixture
def ctx(drained_app, monkeypatch):
    """The drained app (catalogue committed, a second per message handled) with a 3 s pause."""
    settings = drained_app.extensions[EXTENSION_KEY]
    monkeypatch.setitem(
        drained_app.extensions,
        EXTENSION_KEY,
        dataclasses.replace(settings, bot_coalesce_seconds=PAUSE),
    )
    with drained_app.app_context():
        yield drained_app
        db.session.remove()


def comebacks() -> list[tuple[int, float]]:
    """The tasks put back through the outbox with a countdown: (message id, countdown)."""
    rows = db.session.execute(
        sa.select(outbox.TABLE.c.args, outbox.TABLE.c.options)
        .where(outbox.TABLE.c.name == TASK)
        .order_by(outbox.TABLE.c.id)
    ).all()
    found = [(args[0], options["countdown"]) for args, options in rows if options]
    db.session.remove()
    return found


def typed_in_a_burst(ctx, clock, who: str, bodies: list[str], every: float) -> list[int]:
    """The citizen sends `bodies` `every` seconds apart; a worker runs each message's task as
    soon as it is stored (workers keeping up: the worst case for replies)."""
    ids = []
    for body in bodies:
        clock.advance(seconds=every)
        ids.append(deliver(who, body))
        run_process_inbound(ctx, ids[-1])
    return ids


def after_the_pause(ctx, clock, ids: list[int]) -> None:
    """The pause passes; the tasks that came back run, then every task is delivered again
    (redeliveries, the sweeper): none of that may answer twice."""
    clock.advance(seconds=PAUSE)
    for message_id, _countdown in comebacks():
        run_process_inbound(ctx, message_id)
    for message_id in ids:
        run_process_inbound(ctx, message_id)


def test_halo_min_mau_tanya_is_answered_once(ctx, clock):
    who = new_citizen()

    ids = typed_in_a_burst(ctx, clock, who, ["halo", "min", "mau tanya", "?"], every=1.0)

    assert replies(who) == []  # the bot waits for the citizen to pause
    # the newest message's task came back with what is left of the pause
    assert comebacks()[-1] == (ids[-1], PAUSE)

    after_the_pause(ctx, clock, ids)

    [reply] = replies(who)
    assert "Selamat datang" in reply and reply.endswith(menu_text())
    assert all(m.processed_at is not None for m in inbound(who))
    assert [m.body for m in inbound(who)] == ["halo", "min", "mau tanya", "?"]


def test_a_question_split_over_messages_is_answered_as_one(ctx, clock):
    who = new_citizen()

    ids = typed_in_a_burst(ctx, clock, who, ["P", "min", "gmn cara pindah faskes?"], every=1.5)
    after_the_pause(ctx, clock, ids)

    [reply] = replies(who)
    faskes = active_catalog().faq[0]  # "Bagaimana cara pindah faskes tingkat pertama (FKTP)?"
    assert "Selamat datang" in reply
    assert faskes.answer.get("id") in reply
    assert menu_text() not in reply  # the menu is named as the way on, not shown


def test_sixty_messages_in_five_seconds_get_a_handful_of_replies(ctx, clock):
    who = new_citizen()
    bodies = [f"halo {n}" for n in range(60)]

    ids = typed_in_a_burst(ctx, clock, who, bodies, every=5 / 60)
    after_the_pause(ctx, clock, ids)

    sent = replies(who)
    assert 1 <= len(sent) <= 3
    assert active_catalog().text("slow_down", "id") in sent  # a real flood is still told
    stored = inbound(who)
    assert [m.body for m in stored] == bodies
    assert all(m.processed_at is not None for m in stored)


def test_messages_after_a_pause_are_answered_each(ctx, clock):
    who = new_citizen()
    [(question, answer)] = faq_questions(1)

    first = typed_in_a_burst(ctx, clock, who, ["halo"], every=0)
    after_the_pause(ctx, clock, first)
    second = typed_in_a_burst(ctx, clock, who, [question], every=10)
    after_the_pause(ctx, clock, second)

    greeting, answered = replies(who)
    assert greeting.endswith(menu_text())
    assert answer in answered


def test_a_citizen_who_never_pauses_is_not_waited_for_forever(ctx, clock):
    who = new_citizen()

    # one message a second for 20 s: the pause never comes
    typed_in_a_burst(ctx, clock, who, [f"tes {n}" for n in range(20)], every=1.0)

    assert replies(who) != []  # read after at most five pauses from the first message


def test_two_workers_answer_a_burst_once(ctx, clock):
    who = new_citizen()
    ids = []
    for body in ["halo", "min", "mau tanya", "?"]:
        clock.advance(seconds=0.5)
        ids.append(deliver(who, body))  # the workers were busy: every task still queued
    clock.advance(seconds=PAUSE)

    # the first and the last message's tasks on two workers at the same instant
    at_once(lambda message_id: run_process_inbound(ctx, message_id), [ids[0], ids[-1]], app=ctx)
    for message_id in ids:  # the other tasks, and the one that retried on the busy row
        run_process_inbound(ctx, message_id)

    [reply] = replies(who)
    assert reply.endswith(menu_text())
    assert all(m.processed_at is not None for m in inbound(who))


def test_berhenti_inside_a_burst_still_opts_the_citizen_out(ctx, clock):
    """The opt-out keyword is read in every message of a burst, not only the newest: a citizen
    who writes "berhenti" and then "ok" has opted out, and is told so once."""
    who = new_citizen()

    ids = typed_in_a_burst(ctx, clock, who, ["halo", "berhenti", "ok"], every=1.0)
    after_the_pause(ctx, clock, ids)

    [reply] = replies(who)
    assert reply.startswith("Baik, Bapak/Ibu tidak akan lagi menerima pemberitahuan")
    [contact_opted_out] = db.session.scalars(
        sa.select(Contact.opted_out_at).where(Contact.address == who)
    ).all()
    assert contact_opted_out is not None
    assert all(m.processed_at is not None for m in inbound(who))
