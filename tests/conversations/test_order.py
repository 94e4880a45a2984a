"""Order per conversation: a citizen's messages are handled in the order the citizen sent them
(the provider's send time), whatever order their webhooks arrive in and whichever worker runs
the task. Real PostgreSQL with real commits (`live_db`), the real task and bot; the clock moves
one second before every message handled, so each `processed_at` tells when it was handled.

The citizen first says "Halo" (the greeting and the menu), then asks FAQ questions (each reply
names the answer it gives): handled in another order, the greeting goes to a question and the
answers come in the wrong order. What cannot be undone — a webhook for an earlier message
arriving after a later one was answered — is shown in the last test."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandawa.core.clock import as_utc, now
from pandawa.core.extensions import db
from tests.conversations.drain import (
    Outcome,
    deliver,
    faq_questions,
    inbound,
    menu_text,
    new_citizen,
    replies,
    run_process_inbound,
)

# how many messages the citizen sends (a "Halo", then questions), in any order of delivery
SHUFFLED = st.integers(2, 7).flatmap(lambda n: st.permutations(range(n)))
PER_TEST = settings(
    max_examples=20,
    # drained_app (live_db, the catalogue) holds for every example; each is a new citizen
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def send_shuffled(clock, order: list[int]) -> tuple[str, list[str], list[str], list[int]]:
    """The citizen sends message i at t0 + i s ("Halo", then FAQ questions); the webhooks are
    stored in `order`, each a little later. Returns the citizen, the bodies and expected
    answers in send order, and the ids in delivery order."""
    who = new_citizen()
    pairs = faq_questions(len(order) - 1)
    bodies = ["Halo"] + [q for q, _ in pairs]
    answers = [menu_text()] + [a for _, a in pairs]
    t0 = now()
    delivered = []
    for k, i in enumerate(order):
        clock.set(t0 + timedelta(seconds=30 + k))
        delivered.append(deliver(who, bodies[i], sent_at=t0 + timedelta(seconds=i)))
    return who, bodies, answers, delivered


def assert_handled_in_send_order(who: str, bodies: list[str], answers: list[str]) -> None:
    rows = sorted(inbound(who), key=lambda m: as_utc(m.provider_sent_at))
    assert [m.body for m in rows] == bodies
    handled = [as_utc(m.processed_at) for m in rows]
    assert None not in handled, "a message was not handled"
    assert handled == sorted(set(handled)), (  # strictly increasing
        "handled out of the order the citizen sent: "
        + str([m.body[:20] for m in sorted(rows, key=lambda m: as_utc(m.processed_at))])
    )
    got = replies(who)
    assert len(got) == len(bodies), got  # one reply per message
    for number, (reply, answer) in enumerate(zip(got, answers, strict=True)):
        assert answer in reply, f"reply {number} does not answer message {number}: {reply[:80]!r}"


@PER_TEST
@given(order=SHUFFLED)
def test_shuffled_webhooks_are_handled_in_the_order_the_citizen_sent(
    app, drained_app, clock, order
):
    with app.app_context():
        who, bodies, answers, delivered = send_shuffled(clock, order)

        # each webhook's task, in delivery order: the first drains the conversation oldest
        # first by the citizen's clock; the others find their message handled
        outcomes = [run_process_inbound(app, message_id) for message_id in delivered]

        assert outcomes == [Outcome("SUCCESS", handled=len(order))] + [Outcome("SUCCESS")] * (
            len(order) - 1
        )
        assert_handled_in_send_order(who, bodies, answers)


@settings(PER_TEST, max_examples=8)
@given(order=SHUFFLED)
def test_two_workers_racing_handle_the_citizen_s_messages_in_the_order_sent(
    app, drained_app, clock, order
):
    with app.app_context():
        who, bodies, answers, delivered = send_shuffled(clock, order)
        db.session.remove()
    start = threading.Barrier(2)
    outcomes: list[Outcome] = []
    errors: list[BaseException] = []

    def worker(message_ids: list[int]) -> None:
        """A worker process: its share of the tasks, each retried while the other holds the
        conversation (as Celery does after the BUSY countdown)."""
        try:
            with app.app_context():
                start.wait(timeout=30)
                for message_id in message_ids:
                    for _ in range(2000):
                        outcome = run_process_inbound(app, message_id)
                        outcomes.append(outcome)
                        if outcome.state == "SUCCESS":
                            break
                        time.sleep(0.002)
                    else:
                        raise AssertionError(f"message {message_id}: busy forever")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(delivered[k::2],)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)

    # handled once each: one reply per message (a worker that loses the lock between two
    # messages retries, what it handled uncounted in its outcome)
    with app.app_context():
        assert_handled_in_send_order(who, bodies, answers)


def test_an_earlier_message_arriving_after_a_later_one_was_answered_is_answered_next(
    app, drained_app, clock
):
    """What cannot be undone: the later message was answered before the earlier one's webhook
    came (a provider's retry). The earlier one is then handled next, once, with its own reply —
    not lost, not answered twice, and nothing else waits for it."""
    with app.app_context():
        who = new_citizen()
        [(question, answer)] = faq_questions(1)
        t0 = now()
        first = deliver(who, "Halo", sent_at=t0)
        assert run_process_inbound(app, first) == Outcome("SUCCESS", handled=1)

        clock.set(t0 + timedelta(seconds=40))
        later = deliver(who, question, sent_at=t0 + timedelta(seconds=20))
        assert run_process_inbound(app, later) == Outcome("SUCCESS", handled=1)
        clock.set(t0 + timedelta(seconds=50))
        earlier = deliver(who, "Kapan kantor buka?", sent_at=t0 + timedelta(seconds=10))
        assert run_process_inbound(app, earlier) == Outcome("SUCCESS", handled=1)

        by_id = {m.id: m for m in inbound(who)}
        assert as_utc(by_id[later].processed_at) < as_utc(by_id[earlier].processed_at)
        got = replies(who)
        assert len(got) == 3 and answer in got[1], got
