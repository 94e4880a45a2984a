"""Heartbeats of the background processes: when beat and the workers last showed they run.

Beat stamps `beat` from its scheduler's loop (core/beat.py); the workers stamp `worker` when
they run the periodic `core.heartbeat` task beat sends every 30 s, so a fresh `worker` stamp
proves the whole path: beat → broker → a worker → the database; the dispatcher stamps
`dispatcher` from its loop (core/dispatcher.py). A stamp is one row per name
in `service_heartbeat`, upserted, on PostgreSQL and SQLite alike, at the injectable clock's
instant (UTC), so a rehearsal clock moves the heartbeats with everything else.

`/readyz` and the supervisors' board read them (`seen`); a stamp older than STALE_AFTER means
the process is not running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from celery import shared_task
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.core.sqltypes import UTCDateTime

BEAT = "beat"
WORKER = "worker"
DISPATCHER = "dispatcher"  # stamped by the dispatcher's loop every 15 s (core/dispatcher.py)
SERVICES = (BEAT, WORKER, DISPATCHER)
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_TASK = "core.heartbeat"


class ServiceHeartbeat(db.Model):
    """The last time a background process showed it runs, one row per process kind."""

    __tablename__ = "service_heartbeat"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Heartbeat:
    name: str
    seen_at: datetime | None  # None: never stamped

    def is_fresh(self, at: datetime) -> bool:
        return self.seen_at is not None and at - self.seen_at <= STALE_AFTER

    def state(self, at: datetime) -> str:
        """`ok`, `stale` (stamped, but longer ago than STALE_AFTER) or `missing` (never)."""
        if self.seen_at is None:
            return "missing"
        return "ok" if self.is_fresh(at) else "stale"


def stamp(session: Session, name: str, at: datetime | None = None) -> None:
    """Upsert the heartbeat `name` at `at` (the clock's now); never commits. The last write
    wins, even an earlier instant: a rehearsal clock set back must not leave a stamp in its
    future that would look fresh for ever."""
    at = at or now()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ServiceHeartbeat.__table__
    statement = insert(table).values(name=name, at=at)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name], set_={"at": statement.excluded.at}
    )
    session.execute(statement)


def seen(session: Session) -> dict[str, Heartbeat]:
    """Every known service's heartbeat, stamped or not."""
    rows = {
        name: at
        for name, at in session.execute(sa.select(ServiceHeartbeat.name, ServiceHeartbeat.at))
    }
    return {name: Heartbeat(name, rows.get(name)) for name in SERVICES}


@shared_task(name=HEARTBEAT_TASK, ignore_result=True)
def worker_heartbeat() -> None:
    """Run by any worker every 30 s (beat's schedule, expiring before the next one, so an
    idle broker never hands a returning worker a pile of them)."""
    stamp(db.session, WORKER)
    db.session.commit()
