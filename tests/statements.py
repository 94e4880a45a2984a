"""Counting the SQL a request sends: for tests that pin a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

HARNESS = ("SAVEPOINT", "RELEASE", "ROLLBACK")  # the per-test transaction's own statements


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The statements sent on `engine` while the block runs, the test harness's savepoints
    left out."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(HARNESS):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
