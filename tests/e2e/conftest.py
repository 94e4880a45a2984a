"""The e2e tests run on the real stack (tests/stack.py): one per session, fresh for each test.
The stack has a Twilio and a Meta (Cloud API) number; `phone` writes to it through either."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.phones import MetaPhone, Phone, TwilioPhone
from tests.services import temporary_redis_db
from tests.stack import Stack, fresh, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def stack(fake_twilio, fake_graph, tmp_path_factory) -> Iterator[Stack]:
    """On a Redis db of its own, not the unit tests' (`redis_url`): its Celery worker takes no
    other stack's tasks, and no other stack's worker takes its own."""
    with (
        temporary_redis_db() as redis_url,
        running_stack(
            redis_url, fake_twilio, tmp_path_factory, name="e2e", fake_graph=fake_graph
        ) as running,
    ):
        yield running


@pytest.fixture
def e2e(stack, fake_twilio, fake_graph) -> Iterator[Stack]:
    fake_graph.reset()
    yield from fresh(stack, fake_twilio)


@pytest.fixture(params=["twilio", "meta"])
def phone(request, e2e, fake_twilio, fake_graph) -> Phone:
    """The citizen's phone, writing through Twilio or through Meta's Cloud API: the same
    conversation must follow either way."""
    if request.param == "meta":
        return MetaPhone(e2e, fake_graph)
    return TwilioPhone(e2e, fake_twilio)
