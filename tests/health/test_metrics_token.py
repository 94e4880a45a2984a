"""/metrics with METRICS_TOKEN set: only `Authorization: Bearer <token>` gets the figures;
anything else is 401 with a WWW-Authenticate challenge and no figure in the answer."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from pandawa.app import create_app
from pandawa.core.config import settings_of
from pandawa.core.extensions import db

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def guarded_app(app) -> Iterator[Flask]:
    guarded = create_app(
        settings=dataclasses.replace(settings_of(app), metrics_token=TOKEN),
        clock=app.extensions["pandawa.core.clock"],
    )
    yield guarded
    with guarded.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_default()  # the session's app stays Celery's default


def test_the_right_bearer_token_gets_the_figures(guarded_app):
    response = guarded_app.test_client().get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert response.status_code == 200
    assert "pandawa_webhook_request_duration_seconds" in response.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong-token",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_anything_else_is_401_with_a_challenge(guarded_app, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = guarded_app.test_client().get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "pandawa_" not in response.text


def test_probes_need_no_token(guarded_app):
    assert guarded_app.test_client().get("/healthz").status_code == 200


def test_without_the_setting_metrics_stay_open_for_development(client):
    assert client.get("/metrics").status_code == 200
