"""/metrics under gunicorn with two workers, as the Procfile runs it (gunicorn.conf.py and
PROMETHEUS_MULTIPROC_DIR): every scrape counts every worker's webhooks, whichever answers."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.services import temporary_redis_db
from tests.stack import inbound_form, running_stack

ROOT = Path(__file__).resolve().parents[2]
WEBHOOKS = 24


@pytest.fixture
def metrics_stack(fake_twilio, tmp_path_factory, monkeypatch):
    directory = tmp_path_factory.mktemp("prometheus")
    stale = directory / "counter_999999999.db"  # a dead process's file from an earlier run
    stale.write_bytes(b"\0" * 8)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    with (
        temporary_redis_db() as redis_url,  # its Celery worker takes no other stack's tasks
        running_stack(
            redis_url,
            fake_twilio,
            tmp_path_factory,
            name="metrics",
            web_args=("-c", str(ROOT / "gunicorn.conf.py")),
        ) as stack,
    ):
        yield stack, directory, stale


def samples(base_url: str) -> dict[tuple[str, tuple], float]:
    # a new connection each time: gunicorn's sync workers take turns accepting them
    response = requests.get(base_url + "/metrics", timeout=10, headers={"Connection": "close"})
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_webhook_histogram_counts_every_worker(metrics_stack):
    stack, directory, stale = metrics_stack
    assert not stale.exists(), "gunicorn.conf.py should remove dead processes' files at start"

    def send(n: int) -> int:
        form = inbound_form(f"SM{n:032d}", f"whatsapp:+62812555{n:05d}", "halo")
        return stack.post_webhook(form).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(send, range(WEBHOOKS))) == [200] * WEBHOOKS

    count_key = (
        "pandawa_webhook_request_duration_seconds_count",
        (("webhook", "twilio_whatsapp"),),
    )
    for _ in range(8):  # several scrapes: each may be answered by either worker
        found = samples(stack.base_url)
        assert found[count_key] == WEBHOOKS
        assert found[("pandawa_messages_in_total", ())] == WEBHOOKS
        # the default catalogue's queues, read from the database at scrape time
        assert any(name == "pandawa_queue_tickets" for name, _ in found)
    # every web worker writes its own file into the shared directory
    files = [name for name in os.listdir(directory) if name.startswith("histogram_")]
    assert files
