"""Enqueue Celery work only after the transaction that made it commits.

Operations call `enqueue_after_commit(session, "tickets.something", id)` while they add and
flush; the task is published once the boundary commits, and dropped if it rolls back. Tasks
are named by string, so a feature can hand work to another without importing it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "pandawa.after_commit_tasks"


def init_app(app: Flask) -> None:
    """Publish queued tasks after each commit, drop them on rollback (once per process)."""
    for name, listener in (
        ("after_commit", _publish_pending),
        ("after_soft_rollback", _drop_pending),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def enqueue_after_commit(session: Session, name: str, *args: Any, **options: Any) -> None:
    session.info.setdefault(_KEY, []).append((name, args, options))


def publish(name: str, *args: Any, **options: Any) -> bool:
    """Publish a task now. A broker outage is logged, not raised: the sweeper catches up."""
    celery = current_app.extensions["celery"]
    try:
        celery.send_task(name, args=list(args), **options)
    except Exception:  # the broker is down or refused; the row is stored, the sweeper retries
        log.warning("could not publish task %s; the sweeper will retry", name, exc_info=True)
        return False
    return True


def _publish_pending(session: Session) -> None:
    for name, args, options in session.info.pop(_KEY, []):
        publish(name, *args, **options)


def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_KEY, None)
