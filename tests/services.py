"""Real PostgreSQL and Redis for the test run: a database and a Redis db number of its own.

A missing service fails the run (never skips): CI must not go green without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import redis

PG_ADMIN_DSN = os.environ.get("PANDAWA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("PANDAWA_TEST_REDIS", "redis://127.0.0.1:6379")


class ServiceMissing(RuntimeError):
    pass


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        raise ServiceMissing(
            f"PostgreSQL is not reachable at {PG_ADMIN_DSN} ({exc}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        ) from exc


@contextmanager
def temporary_database(prefix: str = "pandawa_test") -> Iterator[str]:
    """Create a fresh database, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_redis_db() -> Iterator[str]:
    """Claim a Redis db number no other test run is using; flush it afterwards."""
    token = uuid.uuid4().hex
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{number}", socket_connect_timeout=3)
        try:
            claimed = client.set("pandawa:test-run", token, nx=True, ex=3 * 3600)
        except redis.ConnectionError as exc:
            raise ServiceMissing(
                f"Redis is not reachable at {REDIS_BASE} ({exc}); start it with redis-server"
            ) from exc
        if claimed:
            try:
                yield f"{REDIS_BASE}/{number}"
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    raise ServiceMissing("no free Redis db number between 1 and 15")
