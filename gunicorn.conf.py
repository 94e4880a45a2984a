"""gunicorn hooks (settings stay on the Procfile's line).

Live-update streams: each worker tells the app its thread count (PANDAWA_WEB_THREADS), from
which `pandawa.console.events` keeps threads free for ordinary requests (webhooks, claims)
however many consoles are open; see LIVE_MAX_STREAMS in the README.

Prometheus' multiprocess mode: gunicorn reads this file by default from the working directory,
so these hooks only act when PROMETHEUS_MULTIPROC_DIR is set: on start they make the directory
and remove the files of processes that no longer run (a previous server's workers: their
counters restart from zero, which Prometheus reads as a counter reset), keeping those of a
Celery worker still running on the machine; when a worker exits its live-gauge files are
marked dead.
"""

from __future__ import annotations

import os
import re

_PID_FILE = re.compile(r"_(\d+)\.db$")


def _multiproc_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def on_starting(server) -> None:
    path = _multiproc_dir()
    if path is None:
        return
    os.makedirs(path, exist_ok=True)
    removed = 0
    for name in os.listdir(path):
        match = _PID_FILE.search(name)
        if match and not _alive(int(match.group(1))):
            os.remove(os.path.join(path, name))
            removed += 1
    server.log.info("metrics: %s, %s stale files removed", path, removed)


def child_exit(server, worker) -> None:
    if _multiproc_dir() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker) -> None:
    """In the new worker, before it loads the app: how many requests it serves at once. Only
    for sync and threaded workers, where each open stream holds a thread (a sync worker has
    one: no streams, the consoles poll); async workers keep the app's default."""
    from gunicorn.workers.gthread import ThreadWorker
    from gunicorn.workers.sync import SyncWorker

    if isinstance(worker, ThreadWorker):
        os.environ["PANDAWA_WEB_THREADS"] = str(worker.cfg.threads)
    elif isinstance(worker, SyncWorker):
        os.environ["PANDAWA_WEB_THREADS"] = "1"
