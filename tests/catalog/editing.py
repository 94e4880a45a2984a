"""Editing a catalogue's text in tests, and finding where an edit landed."""

from __future__ import annotations


def line_of(text: str, needle: str) -> int:
    """1-based line number of the first line containing needle (it must be there once)."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} found on lines {lines}"
    return lines[0]


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)
