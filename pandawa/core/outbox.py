"""The transactional outbox: background work is a row written in the request's transaction.

A view, task or command that hands work on (`jobs.enqueue_after_commit`) adds a `task_outbox`
row beside its own rows; both commit or neither does. Nothing talks to the broker on the
request path. The dispatcher (`pandawa dispatcher`, core/dispatcher.py) publishes the rows to
Celery in id order and stamps `published_at`; on PostgreSQL every insert also wakes it
(`NOTIFY pandawa_outbox`, a statement trigger made by migration 0008), elsewhere it polls.

Published rows are kept `OUTBOX_REPLAY_SECONDS`, then pruned: when the broker comes back empty
(a Redis restarted without persistence loses every queued task) the dispatcher publishes the
rows of that window again. Every task is idempotent, so a task published twice does its work
once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import Mapped, Session, mapped_column

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.core.sqltypes import JSONDoc, UTCDateTime

CHANNEL = "pandawa_outbox"  # the NOTIFY channel the dispatcher listens on
PRUNE_BATCH = 5000  # rows deleted per statement


class OutboxTask(db.Model):
    """One Celery task to publish: its dotted name, JSON arguments and publish options."""

    __tablename__ = "task_outbox"
    __table_args__ = (
        # the dispatcher's claim and the backlog gauges: what is still to publish, in order
        sa.Index(
            "ix_task_outbox_unpublished",
            "id",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        ),
    )

    # SQLite: INTEGER, so the key is its rowid and autoincrements
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(64))
    args: Mapped[list] = mapped_column(JSONDoc)
    # Celery publish options (`countdown`, `expires`); a countdown runs from the publish
    options: Mapped[dict | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


TABLE: sa.Table = OutboxTask.__table__  # type: ignore[assignment]


def add(session: Session, name: str, args: list[Any], options: dict | None = None) -> None:
    """Write one task row in the session's transaction (never commits)."""
    session.execute(
        sa.insert(TABLE),
        {"name": name, "args": list(args), "options": options or None, "created_at": now()},
    )


@dataclass(frozen=True)
class Pending:
    id: int
    name: str
    args: list
    options: dict


def claim(session: Session, limit: int) -> list[Pending]:
    """The oldest unpublished rows, locked for this transaction; rows another dispatcher holds
    are skipped (two dispatchers share the work, never publish one row at once)."""
    query = (
        sa.select(TABLE.c.id, TABLE.c.name, TABLE.c.args, TABLE.c.options)
        .where(TABLE.c.published_at.is_(None))
        .order_by(TABLE.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [Pending(r.id, r.name, r.args or [], r.options or {}) for r in session.execute(query)]


def mark_published(session: Session, ids: list[int], at: datetime | None = None) -> None:
    if ids:
        session.execute(
            sa.update(TABLE).where(TABLE.c.id.in_(ids)).values(published_at=at or now())
        )


def published_since(session: Session, since: datetime, after_id: int, limit: int) -> list[Pending]:
    """Rows published at or after `since`, by id after `after_id` (the replay after the broker
    came back empty)."""
    rows = session.execute(
        sa.select(TABLE.c.id, TABLE.c.name, TABLE.c.args, TABLE.c.options)
        .where(TABLE.c.published_at >= since, TABLE.c.id > after_id)
        .order_by(TABLE.c.id)
        .limit(limit)
    )
    return [Pending(r.id, r.name, r.args or [], r.options or {}) for r in rows]


def prune(session: Session, older_than: timedelta, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` rows published longer ago than `older_than`; returns how many."""
    cutoff = now() - older_than
    doomed = (
        sa.select(TABLE.c.id)
        .where(TABLE.c.published_at < cutoff)
        .order_by(TABLE.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    return session.execute(sa.delete(TABLE).where(TABLE.c.id.in_(doomed))).rowcount or 0


@dataclass(frozen=True)
class Backlog:
    depth: int  # rows not yet published
    oldest_at: datetime | None  # when the oldest of them was written

    def age_seconds(self, at: datetime) -> float:
        return max(0.0, (at - self.oldest_at).total_seconds()) if self.oldest_at else 0.0


def backlog(session: Session) -> Backlog:
    """Both read through the partial index of unpublished rows: cheap however long the kept
    history of published rows."""
    unpublished = TABLE.c.published_at.is_(None)
    depth = session.scalar(sa.select(sa.func.count()).select_from(TABLE).where(unpublished))
    oldest = session.scalar(
        sa.select(TABLE.c.created_at).where(unpublished).order_by(TABLE.c.id).limit(1)
    )
    return Backlog(int(depth or 0), oldest)


class OutboxCollector:
    """Backlog gauges for /metrics, read from the database at scrape time."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = backlog(self.session)
        depth = GaugeMetricFamily(
            "pandawa_outbox_backlog", "Tasks written but not yet published to the broker."
        )
        depth.add_metric([], pending.depth)
        age = GaugeMetricFamily(
            "pandawa_outbox_oldest_age_seconds",
            "Seconds the oldest unpublished task has waited (0: none): the dispatcher or the "
            "broker is down when it grows.",
        )
        age.add_metric([], pending.age_seconds(now()))
        yield depth
        yield age
