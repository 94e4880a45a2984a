import pytest

from pandawa.app import create_app
from pandawa.core import heartbeat
from pandawa.core.extensions import db
from tests.harness import app_environ


def test_liveness_and_readiness(client, session):
    heartbeat.stamp(session, heartbeat.BEAT)
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "broker": "ok", "redis": "ok", "beat": "ok"}
    assert ready.json["failed"] == []


@pytest.fixture
def make_app(tmp_path, redis_url):
    apps = []

    def make(**overrides):
        environ = app_environ(
            "postgresql://postgres@127.0.0.1:5432/postgres",
            redis_url,
            "http://127.0.0.1:9",
            tmp_path,
        )
        environ.update(overrides)
        apps.append(create_app(environ))
        return apps[-1]

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_readiness_fails_when_the_broker_is_unreachable(make_app):
    app = make_app(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["broker"] == "unreachable"
    assert "broker" in response.json["failed"]


def test_readiness_fails_when_the_database_is_unreachable(make_app):
    app = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:1/pandawa")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unreachable"
    assert response.json["checks"]["beat"] == "unknown"  # its heartbeat lives in the database


def test_metrics_parse_and_count_webhook_requests(client):
    from prometheus_client.parser import text_string_to_metric_families

    def webhook_counts() -> dict[str, float]:
        response = client.get("/metrics")
        assert response.status_code == 200
        families = {f.name: f for f in text_string_to_metric_families(response.text)}
        assert all(name.startswith("pandawa_") for name in families)
        histogram = families["pandawa_webhook_request_duration_seconds"]
        return {
            s.labels["webhook"]: s.value for s in histogram.samples if s.name.endswith("_count")
        }

    before = webhook_counts()  # earlier tests in this process have counted theirs
    client.post("/webhooks/twilio/whatsapp", data={"MessageSid": "SMx"})  # unsigned: 403
    after = webhook_counts()

    assert after["twilio_whatsapp"] == before["twilio_whatsapp"] + 1
    assert after["twilio_status"] == before["twilio_status"]
