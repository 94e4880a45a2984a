"""The pacing schedule: slots of one sender never closer than 1/rate, whoever asks, on real
Redis and in the in-process fallback."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from pandawa.channels import pacing
from pandawa.channels.pacing import KEY_PREFIX, LocalPacer, RedisPacer, interval_us
from pandawa.core.config import settings_of

SLACK = 0.001  # float rounding of microseconds to seconds; the schedule itself is exact


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    for key in client.scan_iter(KEY_PREFIX + "*"):
        client.delete(key)
    client.close()


def a_sender() -> str:
    return f"whatsapp:+62811{uuid.uuid4().int % 10**8:08d}"


def reserve_concurrently(pacer, sender: str, count: int, rate: float, threads: int = 4):
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: pacer.reserve(sender, interval_us(rate)), range(count)))


def assert_spaced(slots, rate: float) -> None:
    times = sorted(slot.at for slot in slots)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / rate - SLACK, f"two sends {min(gaps):.6f}s apart at {rate}/s"


@pytest.mark.parametrize(("make_pacer", "count"), [("redis", 200), ("local", 60)])
def test_slots_of_one_sender_are_spaced_by_the_rate(redis_client, make_pacer, count):
    pacer = RedisPacer(redis_client) if make_pacer == "redis" else LocalPacer()
    sender, other = a_sender(), a_sender()

    slots = reserve_concurrently(pacer, sender, count, rate=50)

    assert_spaced(slots, rate=50)
    assert min(slot.wait for slot in slots) == 0.0  # an idle sender's first send goes at once
    assert len({slot.at for slot in slots}) == count  # nobody shares a slot
    # another number of the agency has its own schedule: no wait behind the first one's queue
    assert pacer.reserve(other, interval_us(50)).wait == 0.0


def test_the_redis_schedule_expires_once_it_has_passed(redis_client):
    sender = a_sender()
    pacer = RedisPacer(redis_client)

    slots = [pacer.reserve(sender, interval_us(10)) for _ in range(20)]  # 2 s of backlog

    # the key's absolute expiry, on Redis's clock (a TTL read would depend on how long ago it
    # was set): KEY_SLACK_MS after the TAT, one interval past the last slot; 1 ms of rounding
    expires_ms = redis_client.pexpiretime(KEY_PREFIX + sender)
    tat_ms = (slots[-1].at + 0.1) * 1000
    assert abs(expires_ms - (tat_ms + pacing.KEY_SLACK_MS)) <= 2, (expires_ms, tat_ms)


def test_slots_are_on_the_pacers_clock(redis_client):
    pacer = RedisPacer(redis_client)
    before = pacer.now()

    slot = pacer.reserve(a_sender(), interval_us(80))

    assert before <= slot.at <= pacer.now()


def test_reserve_uses_the_rate_setting_and_redis(app, monkeypatch, redis_client):
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(settings, outbound_rate_per_second=0.1),  # one send per 10 s
    )
    sender = a_sender()
    with app.app_context():
        assert isinstance(pacing.get_pacer(), RedisPacer)
        waits = [pacing.reserve(sender) for _ in range(3)]
        left = pacing.seconds_until(pacing.reserve_slot(sender).at)

    assert waits[0] == 0.0
    step = 10 / pacing.HEADROOM  # 0.1/s, spaced a little wider than the provider's limit
    assert 0 < waits[1] <= step < waits[2] <= 2 * step < left <= 3 * step
    assert redis_client.exists(KEY_PREFIX + sender)  # the schedule is shared through Redis


def test_without_redis_url_the_process_paces_itself(app, monkeypatch, redis_client):
    settings = settings_of(app)
    monkeypatch.setitem(
        app.extensions,
        "pandawa.settings",
        dataclasses.replace(settings, redis_url=None, outbound_rate_per_second=4),
    )
    sender = a_sender()
    with app.app_context():
        assert isinstance(pacing.get_pacer(), LocalPacer)
        slots = [pacing.reserve_slot(sender) for _ in range(3)]

    assert_spaced(slots, rate=4)
    assert not redis_client.exists(KEY_PREFIX + sender)
