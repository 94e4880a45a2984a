"""Pandawa: a WhatsApp administrative-service gateway for public agencies."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import configure_mappers
from werkzeug.middleware.proxy_fix import ProxyFix

from pandawa.admin import audit as admin_audit
from pandawa.admin import deadletters as admin_deadletters
from pandawa.admin import privacy as admin_privacy
from pandawa.admin import views as admin_views
from pandawa.admin.cli import tokens_group, users_group
from pandawa.api import offices
from pandawa.api import views as api_views
from pandawa.backup.cli import backup_command, restore_command
from pandawa.channels import (
    media_out,  # noqa: F401  (GET /media/out/<token> on channels' bp)
    meta_views,  # noqa: F401  (/webhooks/meta/whatsapp on channels' bp)
)
from pandawa.channels import views as channel_views
from pandawa.console import attachments as console_attachments  # noqa: F401  (its route)
from pandawa.console import blocking as console_blocking
from pandawa.console import canned_views as console_canned
from pandawa.console import events as console_events
from pandawa.console import search as console_search
from pandawa.console import views as console_views
from pandawa.conversations import satisfaction
from pandawa.core import live
from pandawa.core.celery_app import celery_init_app
from pandawa.core.cli import db_group
from pandawa.core.clock import Clock, clock_from_setting
from pandawa.core.config import EXTENSION_KEY, Settings
from pandawa.core.dispatcher import dispatcher_command
from pandawa.core.extensions import csrf, db
from pandawa.core.logs import configure_logging
from pandawa.dashboard import blocked as dashboard_blocked
from pandawa.dashboard import forecast as dashboard_forecast
from pandawa.dashboard import hours as dashboard_hours
from pandawa.dashboard import settings as dashboard_settings
from pandawa.dashboard import sla as dashboard_sla
from pandawa.dashboard import surge as dashboard_surge
from pandawa.dashboard import views as dashboard_views
from pandawa.devstack import dev_command
from pandawa.health import views as health_views
from pandawa.hours.cli import closures_group, hours_group, office_group
from pandawa.privacy.cli import privacy_group
from pandawa.provisioning.cli import catalog_group
from pandawa.reports import snapshots as figure_snapshots
from pandawa.simulator import views as simulator_views
from pandawa.tickets import consent as ticket_consent
from pandawa.tickets import live as ticket_live
from pandawa.tickets import transfer_notice
from pandawa.web import shell


def create_app(
    environ: Mapping[str, str] | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    engine_options: dict[str, Any] | None = None,
) -> Flask:
    """Build the web/worker application. Connects to nothing; runs no migrations."""
    settings = settings or Settings.from_env(environ)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url, engine_options),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=1024 * 1024,  # webhooks and API bodies are small; 1 MiB is plenty
    )
    app.extensions[EXTENSION_KEY] = settings
    app.extensions["pandawa.core.clock"] = clock or clock_from_setting(settings.clock)
    configure_logging(settings.log_level)
    _quiet_personal_data_loggers()

    db.init_app(app)
    csrf.init_app(app)
    if settings.database_url.startswith("sqlite"):
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)

    celery_init_app(app)
    # listeners and receivers: registered here, never as a side effect of an import
    live.init_app(app)
    ticket_live.init_app(app)
    satisfaction.init_app(app)
    ticket_consent.init_app(app)
    transfer_notice.init_app(app)
    shell.init_app(app)
    figure_snapshots.init_app(app)
    _register_blueprints(app, settings)
    # every model is imported by now: resolve relationships and backrefs (tickets gives User
    # its `queues`) before the first request, not lazily inside whichever query comes first
    configure_mappers()
    _register_commands(app)
    if settings.trusted_proxies > 0:
        # the client's address and scheme as the proxies in front saw them, believing exactly
        # TRUSTED_PROXIES hops: sign-in throttling and the audit use this address
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    return app


def _register_blueprints(app: Flask, settings: Settings) -> None:
    # signed by the provider / authenticated by bearer token: no browser session to forge
    for blueprint in (channel_views.bp, api_views.bp, offices.bp):
        app.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    # the browser side: console (with its live updates), admin, dashboard; health for probes
    for blueprint in (
        health_views.bp,
        console_views.bp,
        console_events.bp,
        console_canned.bp,
        console_search.bp,
        admin_views.bp,
        admin_privacy.bp,
        admin_deadletters.bp,
        dashboard_views.bp,
        console_blocking.bp,
        dashboard_blocked.bp,
        dashboard_hours.bp,
        dashboard_forecast.bp,
        # issue 17: SLA alerts (board panel, acknowledge, history) and the queue settings page
        dashboard_sla.bp,
        dashboard_settings.bp,
        dashboard_surge.bp,
    ):
        app.register_blueprint(blueprint)
    if settings.whatsapp_provider == "simulator":
        app.register_blueprint(simulator_views.bp)


def _register_commands(app: Flask) -> None:
    """The `pandawa` command's groups, each from its feature's cli.py."""
    for name, command in (
        ("db", db_group),
        ("catalog", catalog_group),
        ("users", users_group),
        ("tokens", tokens_group),
        ("dev", dev_command),
        ("dispatcher", dispatcher_command),
        ("closures", closures_group),
        ("hours", hours_group),
        ("office", office_group),
        ("privacy", privacy_group),
        ("audit", admin_audit.audit_group),
        ("backup", backup_command),
        ("restore", restore_command),
    ):
        app.cli.add_command(command, name)


def _engine_options(url: str, extra: dict[str, Any] | None) -> dict[str, Any]:
    # parameters (phone numbers, message text) never appear in SQLAlchemy error messages
    options: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    else:
        # No pre-ping: it would add a round trip to every webhook. A connection that died with a
        # database restart fails one request (503, Twilio retries) and the pool is invalidated.
        # 10 kept open: the requests a process serves at once while consoles hold most of its
        # threads with their live streams (which hold no connection); up to one per thread
        # under load (gunicorn.conf.py says how many), so no request waits for a connection
        threads = int(os.environ.get("PANDAWA_WEB_THREADS", "0") or 0)
        options.update(
            pool_size=10,
            max_overflow=max(10, threads - 10),
            pool_timeout=5,
            pool_recycle=1800,
            connect_args={"connect_timeout": 3},
        )
    options.update(extra or {})
    return options


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web process read while the worker writes; foreign keys are off by default
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _quiet_personal_data_loggers() -> None:
    # twilio's HTTP client logs request bodies (recipient numbers, message text) at INFO
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
