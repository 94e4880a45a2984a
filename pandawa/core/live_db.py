"""The console's live events through the database, when no REDIS_URL is set (`pandawa dev`).

The embedded stack runs the web server and the Celery worker as separate processes with
nothing shared but the database, so the database carries the events: a `live_event` row per
event, written in the same transaction as the change it reports (it appears exactly when the
change commits, and vanishes with a rollback), read by each open stream from the last id it
saw, every POLL_SECONDS. Old rows are pruned by the writers.

Why a table and not LISTEN/NOTIFY or the Celery broker: SQLite (the embedded default) has no
notifications, and the broker's messages are consumed once, while every open console must see
every event and a browser that reconnects must resume from its cursor — a table with an
increasing id gives both, exactly like a Redis stream. A poll is one query on the primary key
over a tail of a few rows; at 0.2 s it keeps the event-to-stream delay near 0.1 s on average.

Ids must become visible in increasing order, or a reader that has seen id 6 skips an id 5
committed after it. SQLite has one writer at a time, so ids are committed in order. On
PostgreSQL two transactions may take ids 5 and 6 and commit 6 first: every writer therefore
takes a transaction-level advisory lock just before its insert (at the end of the transaction,
in `before_commit`), which holds the next writer until the commit. The lock lasts only the
commit itself, and only deployments without Redis take it.

The bus reading this table is `pandawa.core.live.DatabaseBus`; its cursor keeps the format of
the Redis streams' ids (`"<id>-0"` per queue), so the stream endpoint, the poll fallback and the
browser treat both buses alike.
"""

from __future__ import annotations

import itertools
import json
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.core.sqltypes import UTCDateTime

log = logging.getLogger(__name__)

RETENTION = timedelta(minutes=15)  # a polling console (every 5 s) is never that far behind
PRUNE_EVERY = 200  # writes per process between two prunes
# the advisory lock's key on PostgreSQL: "pandawa live" in ASCII, arbitrary but fixed
LOCK_KEY = 0x70616E64_6C697665 & 0x7FFFFFFFFFFFFFFF


class LiveEvent(db.Model):
    """One live event (identifiers and states only, see pandawa.core.live)."""

    __tablename__ = "live_event"

    # SQLite: INTEGER, so the key is its rowid and autoincrements
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    queue: Mapped[str] = mapped_column(sa.String(32))
    data: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


TABLE: sa.Table = LiveEvent.__table__  # type: ignore[assignment]
_writes = itertools.count(1)


def write(target: Session | Connection, events: list[dict]) -> None:
    """Insert `events` in `target`'s transaction (never commits): they become visible with it."""
    if not events:
        return
    bind = target.connection() if isinstance(target, Session) else target
    if bind.dialect.name == "postgresql":
        bind.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
    at = now()
    rows = [
        {"queue": e["queue"], "data": json.dumps(e, separators=(",", ":")), "created_at": at}
        for e in events
    ]
    bind.execute(sa.insert(TABLE), rows)
    if next(_writes) % PRUNE_EVERY == 0:
        prune(bind, at)


def prune(conn: Connection, at: datetime) -> int:
    """Delete the events older than RETENTION at `at`; how many were deleted."""
    return conn.execute(sa.delete(TABLE).where(TABLE.c.created_at < at - RETENTION)).rowcount


def last_id(conn: Connection) -> int:
    return conn.scalar(sa.select(sa.func.max(TABLE.c.id))) or 0


def rows_after(conn: Connection, from_ids: dict[str, int], count: int) -> list[tuple]:
    """`(queue, id, event)` of the rows after each queue's id, oldest first, at most `count`."""
    stmt = (
        sa.select(TABLE.c.id, TABLE.c.queue, TABLE.c.data)
        .where(TABLE.c.id > min(from_ids.values()), TABLE.c.queue.in_(list(from_ids)))
        .order_by(TABLE.c.id)
        .limit(count)
    )
    return [
        (row.queue, row.id, json.loads(row.data))
        for row in conn.execute(stmt)
        if row.id > from_ids[row.queue]
    ]
