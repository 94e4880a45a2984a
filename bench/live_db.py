"""Live events without Redis: how long from a worker's commit to an open stream's read.

A writer process (as the Celery worker of `pandawa dev`) commits one event at a time through
the ORM session — the path every change takes (`publish_after_commit`, written in the same
transaction) — stamping the commit's wall-clock time into the event's `message_id`
(microseconds; the bench's only use of that field); this process reads the table as an open
`/console/events` stream does (`DatabaseBus.read`, blocking, polling every LIVE_POLL_MS) and
records read time − commit time.

    python bench/live_db.py                      # SQLite file in a temporary directory
    python bench/live_db.py postgresql://…/db    # a PostgreSQL database (migrated to head)
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

EVENTS = 200
QUEUE = "BENCH"


def _app(database_url: str, instance: str):  # type: ignore[no-untyped-def]
    from pandawa.app import create_app

    return create_app(
        {
            "PANDAWA_ENV": "test",
            "SECRET_KEY": "bench-secret-key-0123456789",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": "memory://",
            "PANDAWA_INSTANCE_PATH": instance,
        }
    )


def _writer(database_url: str, instance: str, ready: multiprocessing.Event) -> None:
    from pandawa.core import live
    from pandawa.core.extensions import db

    app = _app(database_url, instance)
    with app.app_context():
        ready.wait()
        for _ in range(EVENTS):
            time.sleep(random.uniform(0.02, 0.08))
            event = {"type": "ticket", "queue": QUEUE, "ticket": "PDW-BENCH"}
            live.publish_after_commit(db.session, event)
            # the stamp is taken just before the commit: the commit's own time is counted
            db.session.info[live.READY][-1]["message_id"] = time.time_ns() // 1000
            db.session.commit()


def main() -> None:
    from pandawa.core import live
    from pandawa.core.extensions import db
    from pandawa.core.migrations import upgrade

    instance = tempfile.mkdtemp(prefix="pandawa-live-bench-")
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(instance) / 'bench.sqlite'}"
    app = _app(url, instance)
    with app.app_context():
        upgrade(url)  # at head already: nothing to do
        bus = live.get_bus(app)
        cursor = bus.heads([QUEUE])
    ready = multiprocessing.Event()
    writer = multiprocessing.Process(target=_writer, args=(url, instance, ready))
    writer.start()
    ready.set()
    delays: list[float] = []
    while len(delays) < EVENTS:
        entries = bus.read(cursor, block_ms=1000)
        for entry in entries:
            cursor[entry.queue] = entry.id
            delays.append(time.time() - entry.event["message_id"] / 1e6)
        if not entries and not writer.is_alive():
            break  # the writer failed: report what arrived
    writer.join()
    with app.app_context():
        db.engine.dispose()
    delays.sort()
    ms = [d * 1000 for d in delays]
    print(
        f"{url.split(':')[0]}: {len(ms)} events, poll {bus.poll_seconds * 1000:.0f} ms — "
        f"commit → stream median {statistics.median(ms):.0f} ms, "
        f"p90 {ms[int(len(ms) * 0.9) - 1]:.0f} ms, max {ms[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
