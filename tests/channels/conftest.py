"""Fixtures of the channel tests: the tasks run as a worker runs them, what reached the broker,
the fake Twilio reset around a test. (Signed webhook requests: tests/harness.py, `post_signed`.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from celery.exceptions import Retry
from flask import Flask

import pandawa.channels.tasks  # noqa: F401  (registers the tasks with the Celery app)
from pandawa.channels.models import Message
from pandawa.core.extensions import db


@dataclass
class TaskRun:
    state: str  # SUCCESS or RETRY
    result: Any = None
    when: float | None = None  # the retry's countdown


def send_pending(app: Flask, run_task: Callable[..., TaskRun]) -> list[int]:
    """Every outbound message still pending handed to the provider by `channels.send_message`
    (run as a worker runs it), oldest first; returns their ids. A plain function: import it."""
    with app.app_context():
        pending = list(
            db.session.scalars(
                sa.select(Message.id)
                .where(Message.direction == "out", Message.status == "pending")
                .order_by(Message.id)
            )
        )
    for message_id in pending:
        assert run_task("channels.send_message", message_id).result == "queued"
    return pending


@pytest.fixture
def run_task(app: Flask) -> Callable[..., TaskRun]:
    """Run a task in this process as a worker would, one delivery at a time.

    Unlike `.apply()` (which re-runs a retry at once, in a loop), a retry here is published
    to the real broker with its countdown and reported, so a test can play the redelivery.
    The task comes from this app's Celery, not whichever app is the process default.
    """

    def run(name: str, *args: Any, **kwargs: Any) -> TaskRun:
        task = app.extensions["celery"].tasks[name]
        task.push_request(
            id=uuid.uuid4().hex,
            args=list(args),
            kwargs=kwargs,
            retries=0,
            is_eager=False,
            called_directly=False,
            delivery_info={"exchange": "", "routing_key": "celery"},
        )
        try:
            return TaskRun("SUCCESS", task(*args, **kwargs))
        except Retry as retry:
            return TaskRun("RETRY", when=retry.when)
        finally:
            task.pop_request()

    return run


@pytest.fixture
def twilio_fake(fake_twilio):
    fake_twilio.reset()
    yield fake_twilio
    fake_twilio.reset()
