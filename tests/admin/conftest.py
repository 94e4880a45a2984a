from __future__ import annotations

import pytest

from tests.harness import reset_throttle


@pytest.fixture(autouse=True)
def _web(app):
    reset_throttle(app)
    yield
    reset_throttle(app)
