"""Production refuses development conveniences, end to end: the real `pandawa` command and the
real gunicorn entry stop with `configuration error` naming the setting; a production app that
does start has no simulator at all."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from pandawa.app import create_app
from pandawa.core.extensions import db
from tests.harness import CITIZEN

ROOT = Path(__file__).resolve().parents[2]

# a production environment that starts: every refusal below breaks exactly one thing in it
VALID = {
    "PANDAWA_ENV": "production",
    "WHATSAPP_PROVIDER": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "PUBLIC_BASE_URL": "https://wa.example.go.id",
    "METRICS_TOKEN": "m" * 32,
    "SECRET_KEY": "production-secret-key-0123456789",
}

REFUSALS = [
    pytest.param({"WHATSAPP_PROVIDER": "simulator"}, "WHATSAPP_PROVIDER", id="simulator"),
    pytest.param({"WHATSAPP_PROVIDER": None}, "WHATSAPP_PROVIDER", id="no-provider"),
    pytest.param({"FLASK_DEBUG": "1"}, "FLASK_DEBUG", id="debug"),
    pytest.param({"PANDAWA_CLOCK": "file:/tmp/pandawa-clock"}, "PANDAWA_CLOCK", id="clock"),
    pytest.param(
        {"PUBLIC_BASE_URL": "http://wa.example.go.id"}, "PUBLIC_BASE_URL", id="http-base-url"
    ),
    pytest.param({"SECRET_KEY": None}, "SECRET_KEY", id="no-secret-key"),
    pytest.param({"METRICS_TOKEN": None}, "METRICS_TOKEN", id="no-metrics-token"),
]


def _environ(tmp_path: Path, changes: dict[str, str | None]) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "PANDAWA_INSTANCE_PATH": str(tmp_path), **VALID}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _script(name: str) -> str:
    script = Path(sys.executable).with_name(name)
    assert script.is_file(), f"{name} is not installed next to {sys.executable}"
    return str(script)


@pytest.mark.parametrize(("changes", "setting"), REFUSALS)
def test_the_pandawa_command_refuses_it_in_production(tmp_path, changes, setting):
    done = subprocess.run(
        [_script("pandawa"), "db", "upgrade"],
        env=_environ(tmp_path, changes),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2, done.stderr
    assert "configuration error" in done.stderr
    assert setting in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "pandawa.sqlite").exists()  # stopped before touching a database


def test_the_same_settings_pass_outside_production(tmp_path):
    # the refusals are production's: in development the simulator and the http URL are fine
    changes = {
        "PANDAWA_ENV": "development",
        "WHATSAPP_PROVIDER": "simulator",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "METRICS_TOKEN": None,
    }
    done = subprocess.run(
        [_script("pandawa"), "db", "--help"],
        env=_environ(tmp_path, changes),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "configuration error" not in done.stderr


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        pytest.param({"WHATSAPP_PROVIDER": "simulator"}, "WHATSAPP_PROVIDER", id="simulator"),
        pytest.param({"METRICS_TOKEN": None}, "METRICS_TOKEN", id="no-metrics-token"),
    ],
)
def test_gunicorn_stops_with_the_same_message(tmp_path, changes, setting):
    # the Procfile's web line: a worker that cannot boot stops the server (no restart loop)
    done = subprocess.run(
        [_script("gunicorn"), "-b", "127.0.0.1:0", "-w", "1", "pandawa.wsgi:app"],
        env=_environ(tmp_path, changes),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert "configuration error" in done.stderr
    assert setting in done.stderr
    assert "Worker failed to boot" in done.stderr


@pytest.fixture
def production_app(app, pg_url, redis_url, tmp_path) -> Iterator[Flask]:
    environ = {
        **VALID,
        "DATABASE_URL": pg_url,
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
        "PANDAWA_INSTANCE_PATH": str(tmp_path),
    }
    production = create_app(environ)
    yield production
    with production.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_default()  # the session's app stays Celery's default


SIMULATOR_PATHS = ["/simulator", "/simulator/", f"/simulator/messages?citizen={CITIZEN}"]


@pytest.mark.parametrize("path", SIMULATOR_PATHS)
def test_production_has_no_simulator(production_app, path):
    web = production_app.test_client()

    assert web.get(path).status_code == 404
    assert web.post(path, json={"citizen": CITIZEN, "body": "halo"}).status_code == 404
    rules = [rule.rule for rule in production_app.url_map.iter_rules()]
    assert not [rule for rule in rules if rule.startswith("/simulator")]


def test_production_still_serves_its_pages(production_app):
    web = production_app.test_client()

    assert web.get("/healthz").status_code == 200
    assert web.get("/login").status_code == 200
