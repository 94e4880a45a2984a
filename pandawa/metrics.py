"""Prometheus metrics: one registry for the whole process, names starting with `pandawa_`.

Only the metrics live here; a `/metrics` view renders `REGISTRY` (under gunicorn with several
workers, prometheus_client's multiprocess mode is needed, via PROMETHEUS_MULTIPROC_DIR).
Labels stay low-cardinality: never a phone number, ticket or message id.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

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
