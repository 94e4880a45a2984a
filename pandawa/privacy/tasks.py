"""Celery task of the privacy layer: the daily retention run. The task is the boundary."""

from __future__ import annotations

from celery import shared_task

from pandawa.core import clock
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.privacy.erasure import remove_files
from pandawa.privacy.retention import BATCH, erase_expired

# a backlog (the first run over a year of data) is worked through in batches, each committed
MAX_BATCHES = 200


@shared_task(name="privacy.erase_expired", acks_late=True)
def erase_expired_task() -> dict[str, int]:
    """Erase what is past RETENTION_DAYS now; the counts. Safe twice and on two beats."""
    settings = current_settings()
    at = clock.now()
    total: dict[str, int] = {}
    for _ in range(MAX_BATCHES):
        done = erase_expired(db.session, settings, at, batch=BATCH)
        db.session.commit()
        remove_files(done.files)
        for key, value in done.counts().items():
            total[key] = total.get(key, 0) + value
        if done.is_empty:
            break
    return total
