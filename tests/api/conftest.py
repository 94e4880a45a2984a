"""Helpers for API tests: bearer headers (message rows: `add_message` in tests/factories.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def bearer(make_token):
    def make(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(user)}"}

    return make
