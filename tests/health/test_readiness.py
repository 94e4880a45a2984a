"""/readyz tells the truth: beat's heartbeat older than two minutes (or none) fails it, naming
`beat`; a fresh one makes it ready again. The workers' heartbeat is reported, never decisive.
And with the real `celery beat` process: ready while it runs, 503 once it has stopped and the
rehearsal clock has moved on, ready again when it is restarted."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from pandawa.app import create_app
from pandawa.core import heartbeat
from pandawa.core.clock import FileClock
from pandawa.core.extensions import db
from pandawa.core.migrations import upgrade
from tests.harness import app_environ
from tests.services import temporary_database, temporary_redis_db
from tests.stack import TUESDAY_10_WIB, start_process, stop_process, wait_until


def test_readiness_fails_without_a_fresh_beat_heartbeat(client, session, clock):
    missing = client.get("/readyz")
    assert missing.status_code == 503
    assert missing.json["checks"]["beat"] == "missing"
    assert missing.json["failed"] == ["beat"]

    heartbeat.stamp(session, heartbeat.BEAT, clock.now() - timedelta(minutes=2, seconds=1))
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert stale.json["checks"]["beat"] == "stale"
    assert stale.json["failed"] == ["beat"]

    heartbeat.stamp(session, heartbeat.BEAT)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready"
    assert ready.json["heartbeats"]["beat"] == clock.now().isoformat()


def test_a_stale_worker_heartbeat_is_reported_but_does_not_decide(client, session, clock):
    heartbeat.stamp(session, heartbeat.BEAT)
    heartbeat.stamp(session, heartbeat.WORKER, clock.now() - timedelta(minutes=10))
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json["worker"] == "stale"
    assert "worker" not in answer.json["checks"]

    heartbeat.stamp(session, heartbeat.WORKER)
    assert client.get("/readyz").json["worker"] == "ok"


@pytest.fixture
def unreachable_redis_app(pg_url, redis_url, tmp_path):
    environ = app_environ(pg_url, redis_url, "http://127.0.0.1:9", tmp_path)
    environ["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app = create_app(environ)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_readiness_fails_when_redis_is_unreachable(unreachable_redis_app):
    answer = unreachable_redis_app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["redis"] == "unreachable"
    assert "redis" in answer.json["failed"]


def _beat_command() -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "pandawa.worker", "beat", "--loglevel", "INFO"]


@pytest.mark.e2e
def test_readiness_follows_the_real_beat_process(tmp_path):
    """Its own database and Redis db (beat publishes its periodic tasks: no other test's worker
    may run them), and a rehearsal clock file shared with beat."""
    clock = FileClock(str(tmp_path / "now"))
    clock.set(TUESDAY_10_WIB)
    with temporary_database("pandawa_beat") as url, temporary_redis_db() as redis_url:
        environ = app_environ(url, redis_url, "http://127.0.0.1:9", tmp_path / "instance")
        environ["PANDAWA_CLOCK"] = f"file:{clock.path}"
        app = create_app(environ)
        with app.app_context():
            with db.engine.begin() as conn:
                upgrade(url, connection=conn)
        web = app.test_client()

        def readiness(status: int):
            def check():
                answer = web.get("/readyz")
                return answer.json if answer.status_code == status else None

            return check

        log = tmp_path / "beat.log"
        beat = start_process(_beat_command(), environ, log)
        try:
            assert wait_until(readiness(200), 60, 0.3, "ready while beat runs")["failed"] == []
            stop_process(beat)
            assert beat.returncode is not None
            clock.set(TUESDAY_10_WIB + timedelta(minutes=3))  # beat has been gone 3 minutes
            down = wait_until(readiness(503), 10, 0.3, "503 while beat is stopped")
            assert down["failed"] == ["beat"]
            assert down["checks"]["beat"] == "stale"

            beat = start_process(_beat_command(), environ, tmp_path / "beat-again.log")
            back = wait_until(readiness(200), 60, 0.3, "ready again once beat restarts")
            assert back["heartbeats"]["beat"] == clock.now().isoformat()
        finally:
            stop_process(beat)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            sys.stderr.write(log.read_text()[-2000:])
