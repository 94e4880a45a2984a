"""Prometheus metrics: one registry for the whole process, names starting with `pandawa_`.

Only the process's own metrics live here; the `/metrics` view (health/views.py) adds the queue
gauges read from the database at scrape time (reports/board.py's QueueCollector).

Several processes: with PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps every counter and
histogram in a file per process in that directory and `/metrics` sums the files, so the answer
is the same whichever gunicorn worker serves it, and Celery workers on the same machine add
their retry/failure counts. The Procfile sets the directory, gunicorn.conf.py removes dead
processes' files when the server starts. Unset (tests, `pandawa dev`): in-process values.
Labels stay low-cardinality: never a phone number, ticket or message id.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiproc_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


# Unlabelled metrics open their file when defined, just below: the directory must exist first
# (a worker may start before the web server that otherwise creates it).
if multiproc_dir():
    os.makedirs(multiproc_dir(), exist_ok=True)  # type: ignore[arg-type]

REGISTRY = CollectorRegistry(auto_describe=True)

WEBHOOK_REQUEST_SECONDS = Histogram(
    "pandawa_webhook_request_duration_seconds",
    "Time spent answering a provider webhook, from request to response.",
    ["webhook"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)

MESSAGES_IN = Counter(
    "pandawa_messages_in",  # exposed as pandawa_messages_in_total
    "Inbound messages stored (a provider's repeated delivery is not counted twice).",
    registry=REGISTRY,
)

MESSAGES_OUT = Counter(
    "pandawa_messages_out",  # exposed as pandawa_messages_out_total{status}
    "Outbound send attempts by outcome: the provider's status, failed, or retry.",
    ["status"],
    registry=REGISTRY,
)

INBOUND_DEAD_LETTERS = Counter(
    "pandawa_inbound_dead_letters",  # exposed as pandawa_inbound_dead_letters_total
    "Inbound messages parked after their processing failed too often (see /admin/dead-letters).",
    registry=REGISTRY,
)

TASKS_RETRIED = Counter(
    "pandawa_tasks_retried",  # exposed as pandawa_tasks_retried_total{task}
    "Celery task runs that asked to be retried, by task name.",
    ["task"],
    registry=REGISTRY,
)

TASKS_FAILED = Counter(
    "pandawa_tasks_failed",  # exposed as pandawa_tasks_failed_total{task}
    "Celery task runs that ended in an exception (retries exhausted or not retried), by task.",
    ["task"],
    registry=REGISTRY,
)
