"""Delivery status callbacks: move an outbound message's status forward, never back.

Providers deliver callbacks out of order (a late `sent` after `read`), so the rank check is
part of the UPDATE's WHERE clause: one statement, no read-then-write race between callbacks.
"""

from __future__ import annotations

from sqlalchemy import case, func, update
from sqlalchemy.orm import Session

from pandawa.channels.models import STATUS_RANK, Message
from pandawa.core import clock

FINAL_WITH_ERROR = ("failed", "undelivered")

_table = Message.__table__
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
    return bool(result.rowcount)
