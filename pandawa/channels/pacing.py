"""Outbound pacing: one send limit per sender number, shared by every worker on every machine.

Virtual scheduling (GCRA) without burst: each sender has a theoretical arrival time (TAT), the
earliest instant its next message may leave. `reserve` takes the slot max(TAT, now) and moves
the TAT one interval (1/OUTBOUND_RATE_PER_SECOND) past it, so two slots of one sender are never
closer than the interval, whoever asked for them. The arithmetic is one Lua script, atomic in
Redis and run on Redis's clock (TIME), so workers on several machines share both the schedule
and the clock; the key expires once its TAT has passed.

Without REDIS_URL (the embedded `pandawa dev` stack: one worker process with threads) an
in-process scheduler with the same arithmetic stands in. It paces the threads of ONE process
only: several worker processes or machines need REDIS_URL, or each would send at the full rate.

A slot is wall-clock time, not business time: pacing never asks `pandawa.core.clock`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis

from pandawa.core.config import current_settings
from pandawa.core.redis_client import get_redis

KEY_PREFIX = "pandawa:pace:"
KEY_SLACK_MS = 1000  # a schedule key outlives its TAT by this much, then the sender is idle

# KEYS[1]: the sender's schedule (its TAT, in microseconds since the epoch)
# ARGV[1]: the interval between two sends of that sender, in microseconds; ARGV[2]: KEY_SLACK_MS
# returns {wait, slot}: microseconds until the reserved slot, and the slot itself
# (TIME before a write is allowed since Redis 5, which replicates a script's effects)
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local after = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', after),
           'PX', math.ceil((after - now) / 1000) + tonumber(ARGV[2]))
return {tat - now, tat}
"""


@dataclass(frozen=True)
class Slot:
    """A reserved send time: `at` in seconds since the epoch on the pacer's clock (it can be
    handed to another process), `wait` the seconds from the reservation until then (0.0: at
    once), `due` the same instant on this process's monotonic clock (to sleep until)."""

    at: float
    wait: float
    due: float


class Pacer(Protocol):
    def reserve(self, sender: str, interval_us: int) -> Slot: ...

    def now(self) -> float: ...

    def due(self, at: float) -> float: ...


class RedisPacer:
    """The shared schedule: one Lua call per reservation, on Redis's clock.

    A slot is on Redis's clock; a worker sleeps on its own. The two are tied by the round trip
    of each call: Redis's TIME was read at most one reply ago, so `monotonic() - redis_now` is
    the offset plus the reply's delay. The smallest such sample of the last OFFSET_TTL seconds
    is kept, so a slow reply (a busy process) does not make one send late and the next one,
    punctual, too close after it.
    """

    OFFSET_TTL = 10.0  # seconds; both clocks drift apart by far less than a ms in that time

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._script = client.register_script(_RESERVE)
        self._offset: tuple[float, float] | None = None  # (best sample, when it was taken)

    def reserve(self, sender: str, interval_us: int) -> Slot:
        wait_us, at_us = self._script(keys=[KEY_PREFIX + sender], args=[interval_us, KEY_SLACK_MS])
        received = time.monotonic()
        at, wait = int(at_us) / 1e6, int(wait_us) / 1e6
        return Slot(at=at, wait=wait, due=at + self._calibrate(received, at - wait))

    def now(self) -> float:
        seconds, micros = self.client.time()
        return seconds + micros / 1e6

    def due(self, at: float) -> float:
        """`at` on this process's monotonic clock (one round trip to Redis)."""
        redis_now = self.now()
        return at + self._calibrate(time.monotonic(), redis_now)

    def _calibrate(self, received: float, redis_now: float) -> float:
        sample = received - redis_now
        best = self._offset  # one read: other threads may replace it meanwhile (harmless)
        if best is None or sample <= best[0] or received - best[1] > self.OFFSET_TTL:
            self._offset = best = (sample, received)
        return best[0]


class LocalPacer:
    """The same schedule for the threads of one process (no REDIS_URL): single machine only."""

    PRUNE_AT = 1024  # forget senders whose TAT has passed once this many are remembered

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}  # monotonic seconds: immune to wall-clock steps

    def reserve(self, sender: str, interval_us: int) -> Slot:
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(sender, now), now)
            self._tat[sender] = tat + interval_us / 1e6
            if len(self._tat) > self.PRUNE_AT:
                self._tat = {s: t for s, t in self._tat.items() if t > now}
        wait = tat - now
        return Slot(at=time.time() + wait, wait=wait, due=tat)

    def now(self) -> float:
        return time.time()

    def due(self, at: float) -> float:
        return time.monotonic() + (at - time.time())


_local = LocalPacer()
_redis_pacers: dict[int, RedisPacer] = {}
_redis_lock = threading.Lock()


def interval_us(rate_per_second: float) -> int:
    """The spacing for a rate, rounded up: never faster than the rate."""
    return math.ceil(1_000_000 / rate_per_second)


def get_pacer() -> Pacer:
    """Redis's shared schedule when REDIS_URL is set, else this process's own."""
    client = get_redis()
    if client is None:
        return _local
    pacer = _redis_pacers.get(id(client))
    if pacer is None or pacer.client is not client:
        with _redis_lock:
            pacer = _redis_pacers.get(id(client))
            if pacer is None or pacer.client is not client:
                pacer = RedisPacer(client)
                _redis_pacers[id(client)] = pacer
    return pacer


# slots are spaced for 97.5 % of the provider's limit: the network between us and the provider
# bunches a few arrivals together, and the limit is counted where they arrive
HEADROOM = 0.975


def reserve_slot(sender: str) -> Slot:
    """Reserve the next send slot of `sender`, a little under OUTBOUND_RATE_PER_SECOND."""
    rate = current_settings().outbound_rate_per_second
    return get_pacer().reserve(sender, interval_us(rate * HEADROOM))


def reserve(sender: str) -> float:
    """Reserve the next send slot of `sender`; the seconds to wait before sending (0.0: now).

    The slot is taken whether or not the caller uses it: a caller that gives up wastes it (the
    sender goes a little slower), it never lets another message go faster than the limit.
    """
    return reserve_slot(sender).wait


def seconds_until(at: float) -> float:
    """Seconds from now until `at` (a `Slot.at`), on the pacer's clock; negative once past."""
    return at - get_pacer().now()


def held_slot(at: float) -> Slot:
    """A slot reserved earlier (perhaps by another process), as a `Slot` of this process."""
    due = get_pacer().due(at)
    return Slot(at=at, wait=due - time.monotonic(), due=due)
