"""/metrics: parses as Prometheus text, carries the queue gauges read from the database, and
counts Celery retries and failures by task name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pandawa.core.metrics import REGISTRY

WIB = timezone(timedelta(hours=7))


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.text):
        assert family.name.startswith("pandawa_"), family.name
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
def queues(session, make_office, make_queue, make_conversation, make_ticket, make_user):
    """At Tuesday 10:00 WIB: queue MX1 with two waiting tickets (the older from Monday
    14:50: 10 + 120 open minutes), one deferred, one held; queue MX2 empty."""
    office = make_office("MXO")
    busy = make_queue("MX1", sla_seconds=1800)
    make_queue("MX2", sla_seconds=600)

    def ticket(status="waiting", created_at=None, assignee=None):
        made = make_ticket(
            queue=busy,
            status=status,
            assignee=assignee,
            conversation=make_conversation(office=office),
        )
        if created_at is not None:
            made.created_at = made.released_at = created_at
        return made

    ticket(created_at=datetime(2026, 11, 30, 14, 50, tzinfo=WIB))
    ticket(created_at=datetime(2026, 12, 1, 9, 45, tzinfo=WIB))
    ticket("deferred")
    ticket("assigned", assignee=make_user(queues=[busy]))
    session.flush()


def test_queue_gauges_match_the_tickets(client, queues):
    samples = scrape(client)

    def value(name, **labels):
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("pandawa_queue_tickets", queue="MX1", status="waiting") == 2
    assert value("pandawa_queue_tickets", queue="MX1", status="deferred") == 1
    assert value("pandawa_queue_tickets", queue="MX1", status="assigned") == 1
    for status in ("waiting", "deferred", "assigned"):
        assert value("pandawa_queue_tickets", queue="MX2", status=status) == 0
    # Monday 14:50 -> Tuesday 10:00
    assert value("pandawa_queue_oldest_wait_seconds", queue="MX1") == 19 * 3600 + 10 * 60
    assert value("pandawa_queue_oldest_wait_business_seconds", queue="MX1") == 130 * 60
    assert value("pandawa_queue_oldest_wait_seconds", queue="MX2") == 0
    assert value("pandawa_queue_sla_seconds", queue="MX1") == 1800
    assert value("pandawa_queue_sla_seconds", queue="MX2") == 600
    assert value("pandawa_queue_metrics_up") == 1


def test_process_metrics_are_there_too(client):
    # both series exist from the start (and earlier tests have counted): judge the change
    webhook = ("pandawa_webhook_request_duration_seconds_count", (("webhook", "twilio_whatsapp"),))
    stored = ("pandawa_messages_in_total", ())
    before = scrape(client)

    client.post("/webhooks/twilio/whatsapp", data={"MessageSid": "SMx"})  # unsigned: 403
    after = scrape(client)

    assert after[webhook] == before[webhook] + 1  # the request was timed
    assert after[stored] == before[stored]  # a refused webhook stored no message


@pytest.fixture(scope="module")
def flaky_tasks(app):
    celery = app.extensions["celery"]

    @celery.task(name="tests.metrics.flaky", bind=True, max_retries=3)
    def flaky(self, failures: int) -> str:
        if self.request.retries < failures:
            raise self.retry(countdown=0)
        return "done"

    @celery.task(name="tests.metrics.broken")
    def broken() -> None:
        raise ValueError("broken on purpose")

    return flaky, broken


def counted(name: str, task: str) -> float:
    return REGISTRY.get_sample_value(name, {"task": task}) or 0.0


def test_a_retried_task_increments_the_counter(client, flaky_tasks):
    flaky, _ = flaky_tasks
    before = counted("pandawa_tasks_retried_total", "tests.metrics.flaky")
    assert flaky.apply(args=(2,)).get() == "done"  # two retries, then success
    samples = scrape(client)
    key = ("pandawa_tasks_retried_total", (("task", "tests.metrics.flaky"),))
    assert samples[key] == before + 2
    assert counted("pandawa_tasks_failed_total", "tests.metrics.flaky") == 0


def test_a_failed_task_increments_the_failure_counter(client, flaky_tasks):
    _, broken = flaky_tasks
    before = counted("pandawa_tasks_failed_total", "tests.metrics.broken")
    result = broken.apply()
    assert result.failed()
    samples = scrape(client)
    assert samples[("pandawa_tasks_failed_total", (("task", "tests.metrics.broken"),))] == (
        before + 1
    )


def test_metrics_still_answer_when_the_queue_gauges_fail(client, monkeypatch):
    from pandawa.reports import board

    def explode(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(board, "queue_counts", explode)
    samples = scrape(client)
    assert samples[("pandawa_queue_metrics_up", ())] == 0
    assert not any(name == "pandawa_queue_tickets" for name, _ in samples)
