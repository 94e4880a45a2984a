"""Liveness and readiness for the platform."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text

from pandawa.core import heartbeat, outbox
from pandawa.core.clock import now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.core.metrics import REGISTRY, multiproc_dir
from pandawa.core.redis_client import get_redis
from pandawa.reports.board import QueueCollector

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when the database, the broker, Redis (when REDIS_URL is set) answer and beat's
    heartbeat is fresher than two minutes (core/heartbeat.py): 503 otherwise, `failed`
    naming the checks that failed, so the platform restarts what is stuck and the operator
    reads why.

    The dispatcher's heartbeat and the task outbox's backlog are reported too (`dispatcher`,
    `outbox`), not deciding: without them the webhook still stores every message, and the
    rows wait for the dispatcher; the board shows a missing dispatcher or an old backlog.

    The workers' heartbeat is reported (`worker`: ok, stale or missing, with `heartbeats`
    saying when each was last seen) but does not decide: it only arrives through beat, so it
    goes stale whenever beat stops and would repeat that failure, and at opening time a
    backlog of releases can hold the heartbeat task behind thousands of sends for minutes —
    taking every web process out of rotation then would refuse the citizens' webhooks at the
    busiest moment for a delay the workers are already working off. The supervisors' board
    shows a missing worker (dashboard)."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    if current_settings().redis_url:
        checks["redis"] = _redis_ok()
    beats = _heartbeats() if checks["database"] == "ok" else None
    at = now()
    checks["beat"] = beats[heartbeat.BEAT].state(at) if beats else "unknown"
    failed = [name for name, state in checks.items() if state != "ok"]
    body = {
        "status": "unavailable" if failed else "ready",
        "checks": checks,
        "failed": failed,
        "worker": beats[heartbeat.WORKER].state(at) if beats else "unknown",
        "dispatcher": beats[heartbeat.DISPATCHER].state(at) if beats else "unknown",
        "outbox": _outbox(at) if beats else None,
        "heartbeats": {
            name: (beat.seen_at.isoformat() if beat.seen_at else None)
            for name, beat in (beats or {}).items()
        },
    }
    return jsonify(body), 503 if failed else 200


def _outbox(at) -> dict | None:
    try:
        pending = outbox.backlog(db.session)
    except Exception:
        log.warning("readiness: outbox unreadable", exc_info=True)
        db.session.rollback()
        return None
    return {"backlog": pending.depth, "oldest_age_seconds": round(pending.age_seconds(at), 1)}


def _database_ok() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        log.warning("readiness: database unreachable", exc_info=True)
        db.session.rollback()
        return "unreachable"


def _heartbeats() -> dict[str, heartbeat.Heartbeat] | None:
    try:
        return heartbeat.seen(db.session)
    except Exception:  # e.g. the release step has not migrated yet
        log.warning("readiness: heartbeats unreadable", exc_info=True)
        db.session.rollback()
        return None


def _redis_ok() -> str:
    try:
        client = get_redis()
        if client is not None:
            client.ping()
        return "ok"
    except Exception:
        log.warning("readiness: redis unreachable", exc_info=True)
        return "unreachable"


def _broker_ok() -> str:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        log.warning("readiness: broker unreachable", exc_info=True)
        return "unreachable"


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
    registry.register(_Guarded(outbox.OutboxCollector(db.session), "pandawa_outbox_metrics_up"))
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

    def __init__(self, collector, up_name: str = "pandawa_queue_metrics_up") -> None:
        self.collector = collector
        self.up_name = up_name

    def collect(self):
        up = GaugeMetricFamily(self.up_name, "1 when these gauges could be read from the database.")
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
