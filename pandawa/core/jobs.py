"""Hand Celery work on in the same transaction as the rows it is about.

Operations call `enqueue_after_commit(session, "tickets.something", id)` while they add and
flush: a `task_outbox` row joins the transaction (core/outbox.py). When the boundary commits,
the dispatcher publishes it (within milliseconds on PostgreSQL, woken by NOTIFY); when it rolls
back, there is no task. No broker round trip on the request path, and a broker outage loses
nothing: the rows wait and go out in order when it returns. Tasks are named by string, so a
feature can hand work to another without importing it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pandawa.core import outbox

# publish options a task row may carry (JSON): a delay, and when an unrun task is dropped
OPTIONS = ("countdown", "expires")


def enqueue_after_commit(session: Session, name: str, *args: Any, **options: Any) -> None:
    """Add the task `name(*args)` to the session's transaction; published once it commits."""
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise TypeError(f"unsupported publish options: {sorted(unknown)}")
    outbox.add(session, name, list(args), options)
