"""Helpers for catalogue tests: the shipped files, and broken variants written to disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from pandawa.catalog.schema import SHIPPED_CATALOG

EXAMPLE = SHIPPED_CATALOG.parent / "examples" / "multi-office.yaml"


@pytest.fixture
def default_text() -> str:
    return SHIPPED_CATALOG.read_text(encoding="utf-8")


@pytest.fixture
def write_catalog(tmp_path):
    """Write text to catalog.yaml in a fresh directory; return its path."""

    def write(text: str | bytes, name: str = "catalog.yaml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write
