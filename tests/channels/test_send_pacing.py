"""channels.send_message takes its sender's pacing slot before it sends (real Redis, real
commits, the fake Twilio). The schedule itself is tested in test_pacing.py."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from pandawa.channels import pacing
from pandawa.channels import tasks as channel_tasks
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from tests.harness import CITIZEN, app_environ
from tests.stack import celery_worker_command, dispatcher_command, start_process, stop_process

pytestmark = pytest.mark.usefixtures("live_db")


@pytest.fixture
def sender() -> str:
    """A sender number of its own: no schedule left over in Redis from another test."""
    return f"whatsapp:+62811{uuid.uuid4().int % 10**8:08d}"


@pytest.fixture
def rate(app, monkeypatch):
    def set_rate(per_second: float) -> None:
        settings = settings_of(app)
        monkeypatch.setitem(
            app.extensions,
            "pandawa.settings",
            dataclasses.replace(settings, outbound_rate_per_second=per_second),
        )

    return set_rate


@pytest.fixture
def queue(app, sender):
    def make(body: str = "Tiket Anda siap ditangani.", recipient: str = CITIZEN) -> int:
        with app.app_context():
            [row] = queue_outbound(
                db.session, provider="twilio", sender=sender, recipient=recipient, body=body
            )
            db.session.commit()
            return row.id

    return make


def stored(app, message_id: int) -> Message:
    with app.app_context():
        message = db.session.get(Message, message_id)
        db.session.expunge(message)
        return message


def backlog(app, sender: str, count: int) -> None:
    """Other workers have already taken the next `count` slots of this sender."""
    with app.app_context():
        for _ in range(count):
            pacing.reserve(sender)


def test_a_slot_more_than_a_second_away_sends_the_task_back_not_the_message(
    app, rate, sender, queue, run_task, broker, twilio_fake, clock
):
    rate(0.1)  # one send per 10 s
    message_id = queue()
    backlog(app, sender, 3)  # the next free slot is 30 s away

    result = run_task("channels.send_message", message_id)

    assert result.state == "RETRY"
    assert twilio_fake.requests == []
    waiting = stored(app, message_id)
    assert (waiting.status, waiting.attempts, waiting.send_started_at) == ("pending", 0, None)
    # the sweeper (which re-sends rows untouched for a minute) leaves it alone until its slot
    assert waiting.updated_at >= clock.now() + timedelta(seconds=20)
    # the retry carries the slot it reserved, due when the slot is
    [(args, kwargs, _eta)] = [p for p in broker("channels.send_message", kwargs=True) if p[1]]
    assert args == [message_id]
    with app.app_context():
        assert 20 < pacing.seconds_until(kwargs["slot_at"]) <= 30 / pacing.HEADROOM


def test_the_retry_sends_in_its_own_slot_without_taking_another(
    app, rate, sender, queue, run_task, twilio_fake, monkeypatch
):
    # what is tested is the slot handed in, not lateness: the held slot is due at once, and on
    # a busy machine the claim's commit alone can outlast the 10 ms after which a late send
    # rightly takes the next free slot (run 1 of the suite, 2026-12-05) — so lateness is
    # tolerated here generously
    monkeypatch.setattr(channel_tasks, "LATE_TOLERANCE", 5.0)
    rate(0.1)
    message_id = queue()
    with app.app_context():
        slot = pacing.reserve_slot(sender)  # what the first run reserved
        taken_until = pacing.reserve_slot(sender).at  # and someone else took the next one

    result = run_task("channels.send_message", message_id, slot_at=slot.at)

    assert result.result == "queued"
    assert len(twilio_fake.messages) == 1
    with app.app_context():  # no slot was taken: the next free one is still right after ours
        step = 10 / pacing.HEADROOM
        assert pacing.reserve_slot(sender).at == pytest.approx(taken_until + step, abs=1e-6)
    assert stored(app, message_id).attempts == 1


def test_a_slot_missed_long_ago_is_given_up_for_a_new_one(
    app, rate, sender, queue, run_task, twilio_fake
):
    rate(0.1)
    message_id = queue()
    with app.app_context():
        missed = pacing.get_pacer().now() - 30  # the worker holding the retry was down
    backlog(app, sender, 1)  # others send meanwhile: the next free slot is 10 s away

    result = run_task("channels.send_message", message_id, slot_at=missed)

    assert result.state == "RETRY"  # back in the queue behind the others, not in a burst
    assert twilio_fake.requests == []
    assert stored(app, message_id).status == "pending"


def test_an_unreachable_schedule_retries_without_sending(
    app, sender, queue, run_task, twilio_fake, monkeypatch
):
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"),
    )
    message_id = queue()

    result = run_task("channels.send_message", message_id)

    assert (result.state, twilio_fake.requests) == ("RETRY", [])
    assert (stored(app, message_id).status, stored(app, message_id).attempts) == ("pending", 0)


@pytest.fixture
def worker(app, pg_url, redis_url, fake_twilio, tmp_path):
    """A real Celery worker process (8 threads) on this run's database, broker and fake."""
    started: list[subprocess.Popen] = []

    def start(**extra_env: str) -> Path:
        environ = app_environ(pg_url, redis_url, fake_twilio.url, tmp_path / "instance")
        environ.update(extra_env)
        log = tmp_path / "worker.log"
        started.append(
            start_process(celery_worker_command("threads", 8), {**os.environ, **environ}, log)
        )
        # the outbox's dispatcher publishes what the test queues (Procfile `dispatcher`)
        started.append(
            start_process(
                dispatcher_command(), {**os.environ, **environ}, tmp_path / "dispatcher.log"
            )
        )
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text():
            assert started[0].poll() is None, log.read_text()
            assert time.monotonic() < deadline, "celery worker not ready in 60 s"
            time.sleep(0.1)
        return log

    yield start
    for proc in started:
        stop_process(proc)


def test_a_worker_sends_no_faster_than_the_rate(app, sender, queue, broker, worker, twilio_fake):
    """Judged against the schedule, not against gaps between arrivals (an HTTP hop on a busy
    machine bunches or spreads those either way): every slot reserved after `start` is at or
    after it and one interval past the slot before, and a send leaves no earlier than its own
    slot, so the k-th arrival cannot come before start + (k-1) intervals. A worker that paced
    at a faster rate, or did not wait for its slot, breaks that; a slow machine only makes the
    arrivals later."""
    log = worker(OUTBOUND_RATE_PER_SECOND="5")
    # a first send pays for the worker's one-time imports of the provider library: not the
    # steady state this test looks at
    queue("Pemanasan", recipient="whatsapp:+6281200000000")
    twilio_fake.wait_for(lambda sent: len(sent) == 1, timeout=30)
    twilio_fake.reset()
    start = time.monotonic()  # the fake stamps arrivals on this clock (one clock per machine)
    ids = [queue(f"Pesan {i}", recipient=f"whatsapp:+6281299{i:06d}") for i in range(10)]

    messages = twilio_fake.wait_for(lambda sent: len(sent) == 10, timeout=120)

    interval = pacing.interval_us(5 * pacing.HEADROOM) / 1e6  # 0.205 s
    arrivals = sorted(m.arrived for m in messages)
    early = [
        (k, round(arrived - (start + k * interval), 4))
        for k, arrived in enumerate(arrivals)
        if arrived < start + k * interval
    ]
    assert early == [], f"sends ahead of the 5/s schedule ({log.read_text()[-2000:]})"
    assert {m.from_ for m in messages} == {sender}
    with app.app_context():  # each sent once, one provider call each: waiting is no attempt
        rows = [db.session.get(Message, i) for i in ids]
        assert [(r.status, r.attempts) for r in rows] == [("queued", 1)] * 10


@pytest.fixture(autouse=True)
def _forget_schedules(redis_url):
    yield
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(pacing.KEY_PREFIX + "*"):
        client.delete(key)
    client.close()
