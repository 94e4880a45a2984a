"""Sign-in throttling: exponential back-off, never a hard lock-out.

Failures are counted under three keys, each a digest (never the email or address itself):

- the pair (account, client address): after PAIR_FREE failures each further one makes the pair
  wait 2^(n - PAIR_FREE) seconds, doubling up to MAX_WAIT. This is what stops a guesser.
- the client address alone: a whole office sits behind one NAT address, so its ceiling is far
  higher (ADDRESS_FREE failures before any wait); it only slows a spray over many accounts.
- the account alone: a soft back-off (ACCOUNT_FREE failures, at most ACCOUNT_MAX_WAIT) against a
  guesser hopping between addresses. It never applies at an address where the account signed in
  successfully lately, so a stranger cannot lock the real user out of their own office.

Counts are shared by every web process: in Redis when REDIS_URL is set, otherwise in the
`sign_in_throttle` table (never in one process's memory). Waits are measured on
`pandawa.core.clock`, so tests can move time; a quiet key is forgotten after FORGET.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import SignInThrottle
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.core.redis_client import get_redis

PAIR_FREE = 5
ADDRESS_FREE = 100
ACCOUNT_FREE = 20
MAX_WAIT = 15 * 60
ACCOUNT_MAX_WAIT = 60
FORGET = timedelta(hours=1)  # a key without failures for this long starts from zero again
KNOWN_GOOD = timedelta(days=30)  # an address where the account signed in is trusted this long
PREFIX = "pandawa:login:"


@dataclass(frozen=True)
class Key:
    name: str
    free: int
    max_wait: int


def _digest(kind: str, value: str) -> str:
    return PREFIX + kind + ":" + hashlib.sha256(value.encode()).hexdigest()


def _norm_email(email: str) -> str:
    return (email or "").strip().lower()


def _keys(email: str, address: str) -> dict[str, Key]:
    account, address = _norm_email(email), address or "-"
    return {
        "pair": Key(_digest("pair", account + "\n" + address), PAIR_FREE, MAX_WAIT),
        "address": Key(_digest("addr", address), ADDRESS_FREE, MAX_WAIT),
        "account": Key(_digest("acct", account), ACCOUNT_FREE, ACCOUNT_MAX_WAIT),
    }


def _good_key(email: str, address: str) -> str:
    return _digest("good", _norm_email(email) + "\n" + (address or "-"))


def backoff(failures: int, free: int, max_wait: int) -> int:
    """Seconds to wait after `failures` failures: none up to `free - 1`, then 1, 2, 4, …"""
    if failures < free:
        return 0
    exponent = failures - free
    return max_wait if exponent >= math.log2(max_wait) else min(2**exponent, max_wait)


def retry_after(session: Session, email: str, address: str) -> int:
    """Seconds before this account may try again from this address; 0 when it may now."""
    at = now()
    keys = _keys(email, address)
    if _known_good(session, email, address):
        keys.pop("account")  # the real user at their own office is not slowed by strangers
    waits = [0]
    for key in keys.values():
        until = _blocked_until(session, key.name)
        if until is not None and until > at:
            waits.append(math.ceil((until - at).total_seconds()))
    return max(waits)


def record_failure(session: Session, email: str, address: str) -> None:
    """Count one failure under each key and set its wait (the caller commits the session)."""
    at = now()
    for key in _keys(email, address).values():
        failures = _increment(session, key.name, at)
        wait = backoff(failures, key.free, key.max_wait)
        if wait:
            _block(session, key.name, at + timedelta(seconds=wait))


def record_success(session: Session, email: str, address: str) -> None:
    """A good sign-in clears the pair and the account, and trusts this address for the account
    a while. The address's count stays: colleagues share it."""
    keys = _keys(email, address)
    _forget(session, [keys["pair"].name, keys["account"].name])
    good = _good_key(email, address)
    client = get_redis()
    if client is not None:
        client.set(good, 1, ex=int(KNOWN_GOOD.total_seconds()))
    else:
        # a row of its own: last_failure_at here is the time of the last success
        _increment(session, good, now())


def _known_good(session: Session, email: str, address: str) -> bool:
    key = _good_key(email, address)
    client = get_redis()
    if client is not None:
        return bool(client.exists(key))
    row = session.get(SignInThrottle, key)
    return row is not None and now() - row.last_failure_at < KNOWN_GOOD


# -- storage: Redis hashes or table rows with the same fields ---------------------------------


def _blocked_until(session: Session, name: str) -> datetime | None:
    client = get_redis()
    if client is not None:
        value = client.hget(name, "blocked_until")
        return datetime.fromisoformat(value.decode()) if value else None
    row = session.get(SignInThrottle, name)
    return row.blocked_until if row is not None else None


def _increment(session: Session, name: str, at: datetime) -> int:
    """Add one failure under `name` and return the count (from zero after FORGET)."""
    client = get_redis()
    if client is not None:
        last = client.hget(name, "last_failure_at")
        if last and at - datetime.fromisoformat(last.decode()) >= FORGET:
            client.delete(name)
        pipe = client.pipeline()
        pipe.hincrby(name, "failures", 1)
        pipe.hset(name, "last_failure_at", at.isoformat())
        # cleanup on the server's clock, generous: the waits themselves are in blocked_until
        pipe.expire(name, int(KNOWN_GOOD.total_seconds()))
        return int(pipe.execute()[0])
    # a row lock, so two processes counting at once both count
    row = session.scalar(
        sa.select(SignInThrottle).where(SignInThrottle.key == name).with_for_update()
    )
    if row is None:
        row = SignInThrottle(key=name, failures=0, last_failure_at=at)
        session.add(row)
    elif at - row.last_failure_at >= FORGET:
        row.failures, row.blocked_until = 0, None
    row.failures += 1
    row.last_failure_at = at
    session.flush()
    return row.failures


def _block(session: Session, name: str, until: datetime) -> None:
    client = get_redis()
    if client is not None:
        client.hset(name, "blocked_until", until.isoformat())
        return
    row = session.get(SignInThrottle, name)
    if row is not None:
        row.blocked_until = until
        session.flush()


def _forget(session: Session, names: list[str]) -> None:
    client = get_redis()
    if client is not None:
        client.delete(*names)
    else:
        session.execute(sa.delete(SignInThrottle).where(SignInThrottle.key.in_(names)))


def reset_all(session: Session | None = None) -> None:
    """Forget every count and wait (tests, and an operator after an incident). Without Redis
    the table is emptied and, without a session given, committed."""
    client = get_redis()
    if client is not None:
        keys = list(client.scan_iter(match=PREFIX + "*", count=500))
        if keys:
            client.delete(*keys)
        return
    target = session or db.session
    target.execute(sa.delete(SignInThrottle))
    if session is None:
        target.commit()
