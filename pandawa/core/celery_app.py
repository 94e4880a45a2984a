"""The one Celery app, bound to Flask: every task runs inside the app context."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask, has_app_context

from pandawa.core import metrics
from pandawa.core.config import Settings, settings_of

# Periodic work; every task here is safe on two beats at once (claims use row locks).
BEAT_SCHEDULE = {
    "sweep-inbound": {"task": "conversations.sweep_inbound", "schedule": timedelta(seconds=30)},
    "sweep-outbox": {"task": "channels.sweep_outbox", "schedule": timedelta(seconds=30)},
    "sweep-media": {"task": "channels.sweep_media", "schedule": timedelta(minutes=5)},
    # within a minute of each office's opening and closing (each office has its own zone)
    "release-deferred": {"task": "tickets.release_deferred", "schedule": timedelta(seconds=20)},
    "notify-closing": {"task": "tickets.notify_closing", "schedule": timedelta(seconds=30)},
    "close-idle": {"task": "tickets.close_idle", "schedule": timedelta(minutes=10)},
    "auto-assign": {"task": "tickets.auto_assign", "schedule": timedelta(seconds=15)},
    "return-abandoned": {"task": "tickets.return_abandoned", "schedule": timedelta(minutes=1)},
    # the stamp is a conditional UPDATE: two beats at once still write one event per ticket
    "mark-sla-breaches": {
        "task": "dashboard.mark_sla_breaches",
        "schedule": timedelta(seconds=60),
    },
    # the figures of the standard ranges, ready for the dashboard (reports/snapshots.py);
    # a run that waited past the next one is dropped, not stacked
    "refresh-figures": {
        "task": "dashboard.refresh_figures",
        "schedule": timedelta(seconds=120),
        "options": {"expires": 110},
    },
    # closed conversations past RETENTION_DAYS, erased once a day at 02:30 WIB
    "erase-expired": {"task": "privacy.erase_expired", "schedule": crontab(hour=19, minute=30)},
    # SLA alerts at 80 % / 100 % of a target (issue 17); unique rows: two beats write one
    "record-sla-alerts": {
        "task": "dashboard.record_sla_alerts",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 55},
    },
    # a worker stamps its heartbeat (core/heartbeat.py); an old one is dropped, not stacked
    "heartbeat": {
        "task": "core.heartbeat",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 25},
    },
    # issue 17: each office's staffing forecast for its day, made once early in the morning
    # office time (the first run after 04:00 local); hourly, so a beat down at 04:00 catches up
    "forecast-staffing": {
        "task": "dashboard.forecast_staffing",
        "schedule": crontab(minute=7),
        "options": {"expires": 3000},
    },
    # surge mode (issue 17): the threshold rule, and capped live queues topped up as they drain
    "surge": {"task": "tickets.surge", "schedule": timedelta(seconds=60)},
}


def celery_init_app(app: Flask) -> Celery:
    settings: Settings = settings_of(app)

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            if has_app_context():  # called directly (tests, CLI) inside an app already
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=settings.celery_broker_url,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=4,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # a broker outage must not hang the webhook: give up fast, the sweeper catches up
        broker_connection_timeout=2,
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        broker_transport_options=_transport_options(settings.celery_broker_url),
        beat_schedule=BEAT_SCHEDULE,
        # makes the schedule file's directory at start and stamps beat's heartbeat (core/beat.py)
        beat_scheduler="pandawa.core.beat:Scheduler",
        beat_schedule_filename=str(settings.instance_path / "celerybeat-schedule"),
        include=[
            "pandawa.core.heartbeat",
            "pandawa.channels.tasks",
            "pandawa.conversations.tasks",
            "pandawa.tickets.tasks",
            "pandawa.reports.tasks",
            "pandawa.privacy.tasks",
        ],
    )
    celery.set_default()
    # beat's scheduler stamps its heartbeat through the app, in this process or a forked one
    celery.flask_app = app  # type: ignore[attr-defined]
    celery.built_in_pid = os.getpid()  # type: ignore[attr-defined]
    _count_task_outcomes()
    app.extensions["celery"] = celery
    return celery


def _count_task_outcomes() -> None:
    """Retries and failures by task name, for /metrics. In a worker started with
    PROMETHEUS_MULTIPROC_DIR (the Procfile sets it) the counts land in files the web processes
    of the same machine read; dispatch_uid keeps one connection however many apps are built."""
    from celery.signals import task_failure, task_retry

    def retried(sender: Any = None, **_: Any) -> None:
        metrics.TASKS_RETRIED.labels(task=_task_name(sender)).inc()

    def failed(sender: Any = None, **_: Any) -> None:
        metrics.TASKS_FAILED.labels(task=_task_name(sender)).inc()

    task_retry.connect(retried, weak=False, dispatch_uid="pandawa.core.metrics.task_retry")
    task_failure.connect(failed, weak=False, dispatch_uid="pandawa.core.metrics.task_failure")


def _task_name(sender: Any) -> str:
    # the sender is the task object; its explicit dotted name keeps the label set small
    return str(getattr(sender, "name", None) or "unknown")


def _transport_options(broker_url: str) -> dict[str, Any]:
    if broker_url.startswith(("redis://", "rediss://")):
        # longer than any countdown or retry we schedule, so Redis never redelivers early
        return {"visibility_timeout": 3600}
    if broker_url.startswith(("amqp://", "amqps://", "pyamqp://")):
        # publisher confirms: a publish returns once RabbitMQ holds the task (on disk: Celery's
        # queues are durable and its messages persistent), so the dispatcher stamps a row
        # published only when a broker restart can no longer lose it
        return {"confirm_publish": True}
    # kombu's SQLAlchemy transport hands every option to create_engine: give it none
    return {}
