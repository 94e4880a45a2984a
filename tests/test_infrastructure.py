"""The test harness itself: a committed row is gone in the next test."""

from datetime import UTC, datetime

import sqlalchemy as sa

from pandawa.hours.models import Office


def _office(code: str) -> Office:
    return Office(
        code=code,
        name="Kantor Uji",
        whatsapp_address="whatsapp:+6200",
        timezone="Asia/Jakarta",
        weekly_hours={},
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_a_commit_inside_a_test(session):
    session.add(_office("LEAK"))
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(Office)) == 1


def test_b_the_committed_row_is_gone(session):
    assert session.scalar(sa.select(sa.func.count()).select_from(Office)) == 0
