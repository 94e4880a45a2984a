"""The e2e tests run on the real stack (tests/stack.py): one per session, fresh for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import temporary_redis_db
from tests.stack import Stack, fresh, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def stack(fake_twilio, tmp_path_factory) -> Iterator[Stack]:
    """On a Redis db of its own, not the unit tests' (`redis_url`): its Celery worker takes no
    other stack's tasks, and no other stack's worker takes its own."""
    with (
        temporary_redis_db() as redis_url,
        running_stack(redis_url, fake_twilio, tmp_path_factory, name="e2e") as running,
    ):
        yield running


@pytest.fixture
def e2e(stack, fake_twilio) -> Iterator[Stack]:
    yield from fresh(stack, fake_twilio)
