"""Delivery status callbacks: move an outbound message's status forward, never back.

Providers deliver callbacks out of order (a late `sent` after `read`), so the rank check is
part of the UPDATE's WHERE clause: one statement, no read-then-write race between callbacks.
A report can even come before the send committed the provider's message id (the provider
calls back between answering the send and our commit): it is kept (`message_status_early`)
and applied when the id is recorded, never dropped. On PostgreSQL the report and the send's
recording of the id take one transaction lock per message id (`_serialise`), so neither can
miss the other: without it a report that saw no message could commit its kept row just after
the send had looked for kept rows, and the tick was lost. (SQLite runs one writer at a time.)
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, case, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from pandawa.channels.models import STATUS_RANK, EarlyStatus, Message
from pandawa.core import clock
from pandawa.core.sqltypes import UTCDateTime

FINAL_WITH_ERROR = ("failed", "undelivered")

_table = Message.__table__
_early = EarlyStatus.__table__
_rank = case(STATUS_RANK, value=_table.c.status, else_=-1)


def apply_status(
    session: Session,
    *,
    provider: str,
    provider_message_id: str,
    status: str,
    error_code: str | None = None,
    error_message: str | None = None,
) -> bool:
    """Record a status report; True when it moved the message forward.

    Unknown message ids and statuses we do not track (e.g. `canceled`) change nothing.
    """
    status = status.strip().lower()
    rank = STATUS_RANK.get(status)
    if rank is None:
        return False
    _serialise(session, provider, provider_message_id)
    values: dict = {"status": status, "updated_at": clock.now()}
    if status in FINAL_WITH_ERROR:
        values["error_code"] = func.coalesce((error_code or "")[:16] or None, _table.c.error_code)
        values["error_message"] = func.coalesce(
            (error_message or "")[:300] or None, _table.c.error_message
        )
    result = session.execute(
        update(_table)
        .where(
            _table.c.provider == provider,
            _table.c.provider_message_id == provider_message_id,
            _table.c.direction == "out",
            _rank < rank,
        )
        .values(values)
    )
    if not result.rowcount:
        _keep_if_early(session, provider, provider_message_id, status, error_code, error_message)
    return bool(result.rowcount)


def _keep_if_early(
    session: Session,
    provider: str,
    provider_message_id: str,
    status: str,
    error_code: str | None,
    error_message: str | None,
) -> None:
    """No message has this id yet: the send that made it has not committed the id. Keep the
    report for `apply_early` — one INSERT … SELECT … WHERE NOT EXISTS, nothing when the
    message exists (the report was only late or repeated)."""
    known = (
        select(literal(1))
        .where(_table.c.provider == provider, _table.c.provider_message_id == provider_message_id)
        .exists()
    )
    row = select(
        literal(provider, String),
        literal(provider_message_id, String),
        literal(status, String),
        literal((error_code or "")[:16] or None, String),
        literal((error_message or "")[:300] or None, String),
        literal(clock.now(), UTCDateTime),
    ).where(~known)
    session.execute(
        insert(_early).from_select(
            [
                "provider",
                "provider_message_id",
                "status",
                "error_code",
                "error_message",
                "received_at",
            ],
            row,
        )
    )


def apply_early(session: Session, provider: str, provider_message_id: str) -> bool:
    """Apply the reports that arrived before this message's id was recorded; True when one
    moved it forward (the send task notes the live change)."""
    _serialise(session, provider, provider_message_id)
    rows = session.execute(
        select(_early.c.status, _early.c.error_code, _early.c.error_message)
        .where(_early.c.provider == provider, _early.c.provider_message_id == provider_message_id)
        .order_by(_early.c.id)
    ).all()
    if not rows:
        return False
    moved = False
    for status, error_code, error_message in rows:
        moved |= apply_status(
            session,
            provider=provider,
            provider_message_id=provider_message_id,
            status=status,
            error_code=error_code,
            error_message=error_message,
        )
    session.execute(
        delete(_early).where(
            _early.c.provider == provider, _early.c.provider_message_id == provider_message_id
        )
    )
    return moved


def _serialise(session: Session, provider: str, provider_message_id: str) -> None:
    """A transaction lock on this message id (PostgreSQL): a status report and the send's
    recording of the id run one after the other, whichever comes first."""
    if session.get_bind().dialect.name == "postgresql":
        key = f"status:{provider}:{provider_message_id}"
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def prune_early(session: Session, older_than: timedelta) -> int:
    """Reports for ids no send ever recorded (another system's messages, a send that failed)."""
    cutoff = clock.now() - older_than
    return session.execute(delete(_early).where(_early.c.received_at < cutoff)).rowcount or 0
