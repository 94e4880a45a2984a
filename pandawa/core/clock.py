"""The one clock. Business logic asks `now()` here, never `datetime.now()` or the database.

Inside, every instant is an aware UTC datetime; office-local time is made at the edges
(`hours/`, message texts). Tests and the simulator install a `FixedClock` on the app.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import current_app, has_app_context


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and rehearsals."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)

    def now(self) -> datetime:
        return self._at


class FileClock:
    """Reads the instant from a file on every call: a rehearsal clock shared by the web,
    worker and beat processes of a test or a drill ("what happens at Monday 08:00?").

    The file holds one ISO 8601 instant with an offset. Refused in production (config.py).
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def now(self) -> datetime:
        with open(self.path, encoding="ascii") as handle:
            at = datetime.fromisoformat(handle.read().strip())
        if at.tzinfo is None:
            raise ValueError(f"{self.path}: the instant needs an offset, e.g. +07:00")
        return at.astimezone(UTC)

    def set(self, at: datetime) -> None:
        """Atomically: a process reading the file meanwhile sees the old instant or the new
        one, never an empty file (written beside it, then renamed over it)."""
        partial = f"{self.path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(partial, "w", encoding="ascii") as handle:
            handle.write(at.isoformat())
        os.replace(partial, self.path)


def clock_from_setting(value: str | None) -> Clock:
    """PANDAWA_CLOCK: unset or "system", or "file:/path" (tests and drills only)."""
    if not value or value == "system":
        return SystemClock()
    return FileClock(value.removeprefix("file:"))


_system = SystemClock()


def get_clock() -> Clock:
    if has_app_context():
        return current_app.extensions.get("pandawa.core.clock", _system)
    return _system


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return get_clock().now()


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_utc(value: object) -> datetime | None:
    """A time kept as ISO text in JSON state, as aware UTC; None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None
