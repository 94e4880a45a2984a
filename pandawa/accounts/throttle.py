"""Sign-in throttling: after repeated failures an email, or a client address, is locked a while.

Counts live in Redis when REDIS_URL is set (shared by every web process); without it they are
kept in this process only (a single-machine development setup). Keys hold a SHA-256 digest of
the email or address, never the value itself. Redis expiry runs on the server's clock, not on
`pandawa.core.clock`: a lock is a wall-clock matter.
"""

from __future__ import annotations

import hashlib
import threading
import time

from pandawa.core.redis_client import get_redis

WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
# per email: a person mistyping; per address: a whole office may sit behind one NAT address
EMAIL_LIMIT = 5
ADDRESS_LIMIT = 20
PREFIX = "pandawa:login:"

_local: dict[str, tuple[int, float]] = {}
_local_lock = threading.Lock()


def _keys(email: str, address: str) -> list[tuple[str, int]]:
    def digest(kind: str, value: str) -> str:
        return PREFIX + kind + ":" + hashlib.sha256(value.strip().lower().encode()).hexdigest()

    return [(digest("email", email), EMAIL_LIMIT), (digest("addr", address or "-"), ADDRESS_LIMIT)]


def is_locked(email: str, address: str) -> bool:
    """True while either the email or the client address is locked."""
    client = get_redis()
    for key, _limit in _keys(email, address):
        if client is not None:
            if client.exists(key + ":lock"):
                return True
        else:
            with _local_lock:
                _count, until = _local.get(key + ":lock", (0, 0.0))
            if until > time.monotonic():
                return True
    return False


def record_failure(email: str, address: str) -> None:
    client = get_redis()
    for key, limit in _keys(email, address):
        if client is not None:
            pipe = client.pipeline()
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS, nx=True)
            count = int(pipe.execute()[0])
            if count >= limit:
                client.set(key + ":lock", 1, ex=LOCK_SECONDS)
                client.delete(key)
        else:
            _record_local(key, limit)


def _record_local(key: str, limit: int) -> None:
    at = time.monotonic()
    with _local_lock:
        count, until = _local.get(key, (0, at + WINDOW_SECONDS))
        if until <= at:
            count, until = 0, at + WINDOW_SECONDS
        count += 1
        if count >= limit:
            _local[key + ":lock"] = (0, at + LOCK_SECONDS)
            _local.pop(key, None)
        else:
            _local[key] = (count, until)


def record_success(email: str) -> None:
    """A good sign-in clears the email's failures (not the address's: others share it)."""
    key = _keys(email, "")[0][0]
    client = get_redis()
    if client is not None:
        client.delete(key)
    else:
        with _local_lock:
            _local.pop(key, None)


def reset_all() -> None:
    """Forget every count and lock (tests, and an operator unlocking after an incident)."""
    client = get_redis()
    if client is not None:
        keys = list(client.scan_iter(match=PREFIX + "*", count=500))
        if keys:
            client.delete(*keys)
    with _local_lock:
        _local.clear()
