"""Liveness and readiness for the platform."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text

from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.core.metrics import REGISTRY, multiproc_dir
from pandawa.reports.board import QueueCollector

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ready = all(checks.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": {k: "ok" if v else "unreachable" for k, v in checks.items()},
    }
    return jsonify(body), 200 if ready else 503


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        log.warning("readiness: database unreachable", exc_info=True)
        db.session.rollback()
        return False


def _broker_ok() -> bool:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        log.warning("readiness: broker unreachable", exc_info=True)
        return False


@bp.get("/metrics")
def metrics():
    """Prometheus text format. With PROMETHEUS_MULTIPROC_DIR (several gunicorn workers, Celery
    workers on the machine) every process's samples are summed from that directory, not just
    the answering worker's; the queue gauges are read from the database at scrape time.

    With METRICS_TOKEN set (always in production) only `Authorization: Bearer <token>` is
    answered: queue names and counts are the agency's business, not the internet's."""
    token = current_settings().metrics_token
    if token and not _bearer_matches(token):
        response = Response("Unauthorized: Authorization: Bearer <METRICS_TOKEN>\n", status=401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    if multiproc_dir():
        MultiProcessCollector(registry, path=multiproc_dir())
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(_Guarded(QueueCollector(db.session)))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _bearer_matches(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compared in constant time: the answer's timing says nothing of how much was right
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


class _Forward:
    """Another registry's metrics inside this scrape's registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self):
        return self.source.collect()


class _Guarded:
    """A database outage must not cost the process metrics: the queue gauges are left out
    (and `pandawa_queue_metrics_up` says 0), the rest of the scrape is still served."""

    def __init__(self, collector) -> None:
        self.collector = collector

    def collect(self):
        up = GaugeMetricFamily(
            "pandawa_queue_metrics_up", "1 when the queue gauges could be read from the database."
        )
        try:
            families = list(self.collector.collect())
        except Exception:
            log.warning("metrics: queue gauges unavailable", exc_info=True)
            db.session.rollback()
            families = []
            up.add_metric([], 0)
        else:
            up.add_metric([], 1)
        return [*families, up]
