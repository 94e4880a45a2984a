"""Pandawa: a WhatsApp administrative-service gateway for public agencies."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event

from pandawa.clock import Clock, clock_from_setting
from pandawa.config import Settings
from pandawa.extensions import csrf, db
from pandawa.logs import configure_logging


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
    app.extensions["pandawa.settings"] = settings
    app.extensions["pandawa.clock"] = clock or clock_from_setting(settings.clock)
    configure_logging(settings.log_level)
    _quiet_personal_data_loggers()

    db.init_app(app)
    csrf.init_app(app)
    if settings.database_url.startswith("sqlite"):
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)

    from pandawa.celery_app import celery_init_app

    celery_init_app(app)
    _register_blueprints(app, settings)

    from pandawa.cli import register_cli

    register_cli(app)
    return app


def settings_of(app: Flask) -> Settings:
    return app.extensions["pandawa.settings"]


def _register_blueprints(app: Flask, settings: Settings) -> None:
    from pandawa.api.views import bp as api_bp
    from pandawa.channels.views import bp as channels_bp
    from pandawa.health.views import bp as health_bp
    from pandawa.hours.views import bp as hours_api_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(channels_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(hours_api_bp)
    # signed by the provider / authenticated by bearer token: no browser session to forge
    csrf.exempt(channels_bp)
    csrf.exempt(api_bp)
    csrf.exempt(hours_api_bp)
    # the browser side: sign-in, console, admin, live updates
    from pandawa.accounts.web import init_web
    from pandawa.console.csp import secure_headers
    from pandawa.console.events import bp as live_bp

    init_web(app)
    app.register_blueprint(live_bp)
    app.after_request(_html_headers(secure_headers))
    if settings.whatsapp_provider == "simulator":
        from pandawa.simulator.views import bp as simulator_bp

        app.register_blueprint(simulator_bp)


def _html_headers(secure_headers: Any) -> Any:
    """CSP and friends on every HTML page (the media route sets its own, stricter one)."""

    def apply(response: Any) -> Any:
        if response.mimetype == "text/html":
            secure_headers(response)
        return response

    return apply


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
