import pytest

from pandawa import create_app
from pandawa.extensions import db
from tests.conftest import app_environ


def test_liveness_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "broker": "ok"}


@pytest.fixture
def make_app(tmp_path, redis_url):
    apps = []

    def make(**overrides):
        environ = app_environ("postgresql://postgres@127.0.0.1:5432/postgres",
                              redis_url, "http://127.0.0.1:9", tmp_path)
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
    assert response.json["checks"] == {"database": "ok", "broker": "unreachable"}


def test_readiness_fails_when_the_database_is_unreachable(make_app):
    app = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:1/pandawa")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unreachable"
