"""An open-loop load generator: requests leave on a fixed schedule, whatever the server does.

wrk is closed-loop (a connection sends its next request only after the previous answer) and
Debian has no wrk2, so fixed-rate latency is measured here. Request i is due at t0 + i/rate;
its latency runs from that due time, not from when it actually left, so a server stall counts
in full for every request it delayed (no coordinated omission). Bounded: as many requests as
given, at most `max_inflight` open at once, each given up after `timeout` seconds.
One connection per request ("Connection: close"), as with gunicorn's sync workers anyway.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass
class Outcome:
    due: float  # seconds after t0
    lag: float  # how late the request actually left (generator health)
    latency: float | None  # due → full response; None on error
    status: int | None
    error: str | None = None


def build_request(host: str, port: int, path: str, signature: str, body: str) -> bytes:
    payload = body.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + payload


async def _exchange(host: str, port: int, request: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        return status
    finally:
        writer.close()


async def _run(
    host: str, port: int, requests: list[bytes], rate: float, timeout: float, max_inflight: int
) -> list[Outcome]:
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(max_inflight)
    outcomes: list[Outcome | None] = [None] * len(requests)
    t0 = loop.time() + 0.2

    async def one(i: int, due: float) -> None:
        left = loop.time()
        try:
            status = await asyncio.wait_for(_exchange(host, port, requests[i]), timeout)
            outcomes[i] = Outcome(due - t0, left - due, loop.time() - due, status)
        except (
            OSError,
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ) as exc:
            outcomes[i] = Outcome(due - t0, left - due, None, None, type(exc).__name__)
        finally:
            slots.release()

    tasks = []
    for i in range(len(requests)):
        due = t0 + i / rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        # a full pool delays the send, and that delay is part of the latency (due-based)
        await slots.acquire()
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    return [o for o in outcomes if o is not None]


def run_fixed_rate(
    host: str,
    port: int,
    requests: list[bytes],
    rate: float,
    timeout: float = 10.0,
    max_inflight: int = 256,
) -> tuple[list[Outcome], float]:
    """Send `requests` at `rate` per second; return the outcomes (in send order) and the
    wall time the whole run took."""
    started = time.monotonic()
    budget = len(requests) / rate + timeout + 10  # hard bound on the whole run
    outcomes = asyncio.run(
        asyncio.wait_for(_run(host, port, requests, rate, timeout, max_inflight), budget)
    )
    return outcomes, time.monotonic() - started


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[int(rank) - 1]


def summarise(outcomes: list[Outcome], wall: float) -> dict:
    latencies = [o.latency for o in outcomes if o.latency is not None]
    statuses: dict[str, int] = {}
    for o in outcomes:
        key = str(o.status) if o.status is not None else f"error:{o.error}"
        statuses[key] = statuses.get(key, 0) + 1
    span = (outcomes[-1].due - outcomes[0].due) if len(outcomes) > 1 else 0.0
    ms = 1000.0

    def pct(values: list[float], q: float) -> float | None:
        value = percentile(values, q)
        return None if value is None else round(value * ms, 2)

    return {
        "requests": len(outcomes),
        "offered_rate": round((len(outcomes) - 1) / span, 1) if span else None,
        "wall_seconds": round(wall, 2),
        "statuses": statuses,
        "latency_ms": {
            "p50": pct(latencies, 50),
            "p90": pct(latencies, 90),
            "p99": pct(latencies, 99),
            "max": pct(latencies, 100),
        },
        # how late requests left their due time: large values mean the generator fell behind
        "send_lag_ms": {
            "p50": pct([o.lag for o in outcomes], 50),
            "p99": pct([o.lag for o in outcomes], 99),
        },
    }
