"""The e2e tests run on the real stack (tests/stack.py): one per session, fresh for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stack import Stack, fresh, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def stack(redis_url, fake_twilio, tmp_path_factory) -> Iterator[Stack]:
    with running_stack(redis_url, fake_twilio, tmp_path_factory, name="e2e") as running:
        yield running


@pytest.fixture
def e2e(stack, fake_twilio) -> Iterator[Stack]:
    yield from fresh(stack, fake_twilio)
