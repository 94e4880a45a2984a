"""The process's Redis client, made on first use from REDIS_URL (never at import time).

One client (and its connection pool) per process: a forked worker child makes its own, since
a pool's sockets must not be shared across a fork. Without REDIS_URL there is no Redis and
callers use their in-process fallbacks (single machine only).
"""

from __future__ import annotations

import os
import threading

import redis

from pandawa.core.config import Settings, current_settings

# short timeouts: Redis answers in well under a millisecond, a hung one must not hang a worker
SOCKET_TIMEOUT = 2.0

_clients: dict[tuple[int, str], redis.Redis] = {}
_lock = threading.Lock()


def get_redis(settings: Settings | None = None) -> redis.Redis | None:
    """The Redis client for REDIS_URL, or None when it is unset."""
    settings = settings or current_settings()
    url = settings.redis_url
    if not url:
        return None
    key = (os.getpid(), url)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = redis.Redis.from_url(
                    url,
                    socket_timeout=SOCKET_TIMEOUT,
                    socket_connect_timeout=SOCKET_TIMEOUT,
                    health_check_interval=30,
                )
                _clients[key] = client
    return client
