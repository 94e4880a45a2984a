"""Beat's scheduler (`beat_scheduler` in core/celery_app.py, so the Procfile's `beat` line needs
no flags): Celery's PersistentScheduler with two additions.

- Its schedule file (`PANDAWA_INSTANCE_PATH/celerybeat-schedule`) is kept in a directory made
  at start: on a bare clone there is no `instance/` folder, and Celery's own scheduler dies
  at once trying to open the file there. The file holds only when each entry last ran; lost
  (an ephemeral disk), beat starts each interval afresh.
- On every tick, at most every STAMP_EVERY seconds, it stamps the `beat` heartbeat in the
  database (core/heartbeat.py), which `/readyz` and the supervisors' board read. A database
  outage is logged and never stops beat: the sweepers must run again as soon as it is back.
  The workers' heartbeat task is first sent 10 s after start, so a restarted beat confirms
  them soon rather than a whole interval later.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler

from pandawa.core import heartbeat
from pandawa.core.extensions import db

log = logging.getLogger(__name__)

STAMP_EVERY = 15.0  # seconds between two beat stamps; far below heartbeat.STALE_AFTER
HEARTBEAT_ENTRY = "heartbeat"  # the BEAT_SCHEDULE entry that sends core.heartbeat
FIRST_HEARTBEAT = timedelta(seconds=10)  # after start, when beat first sends it


class Scheduler(PersistentScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._stamped_at: float | None = None
        super().__init__(*args, **kwargs)
        flask_app = getattr(self.app, "flask_app", None)
        if flask_app is not None and getattr(self.app, "built_in_pid", None) != os.getpid():
            # beat embedded in a worker (`pandawa dev`) runs in a forked child: connections
            # opened before the fork belong to the parent (left open for it, not closed)
            with flask_app.app_context():
                db.engine.dispose(close=False)

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
        entry = self.schedule.get(HEARTBEAT_ENTRY)
        if entry is not None:
            # FIRST_HEARTBEAT after start rather than a whole interval; not at once: kombu's
            # SQL broker (`pandawa dev`) fails a worker that declares its queue while beat does
            entry.last_run_at = self.app.now() - entry.schedule.run_every + FIRST_HEARTBEAT

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self.stamp_heartbeat()
        return min(super().tick(*args, **kwargs), STAMP_EVERY)

    def stamp_heartbeat(self) -> None:
        """The `beat` heartbeat, unless one was written less than STAMP_EVERY seconds ago."""
        clock = time.monotonic()
        if self._stamped_at is not None and clock - self._stamped_at < STAMP_EVERY:
            return
        flask_app = getattr(self.app, "flask_app", None)
        if flask_app is None:
            return
        with flask_app.app_context():
            try:
                heartbeat.stamp(db.session, heartbeat.BEAT)
                db.session.commit()
                self._stamped_at = clock
            except Exception:
                log.warning("beat: heartbeat not written; will retry", exc_info=True)
                db.session.rollback()
            finally:
                db.session.remove()
