"""The 24-hour window: open while now < the citizen's last message + 24 h; never without one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from pandawa.channels.window import WINDOW, window_closes_at, window_is_open

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
offsets = st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3))


@given(instants, offsets)
def test_open_exactly_until_24_hours_after_the_citizen_wrote(last_inbound, d):
    assert window_is_open(last_inbound, last_inbound + d) is (d < timedelta(hours=24))


@given(instants)
def test_it_closes_24_hours_after_the_citizen_wrote(last_inbound):
    assert window_closes_at(last_inbound) == last_inbound + WINDOW


def test_the_boundaries():
    wrote = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # a Friday afternoon in Jakarta
    assert window_is_open(wrote, wrote + timedelta(hours=24) - timedelta(microseconds=1))
    assert not window_is_open(wrote, wrote + timedelta(hours=24))
    assert not window_is_open(wrote, datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # Monday 08:00


def test_never_open_when_the_citizen_never_wrote():
    assert window_closes_at(None) is None
    assert not window_is_open(None, datetime(2026, 12, 1, 3, 0, tzinfo=UTC))


def test_naive_utc_from_sqlite_and_other_offsets_compare_as_instants():
    wib = timezone(timedelta(hours=7))
    naive_utc = datetime(2026, 12, 1, 3, 0)  # how SQLite hands back a UTC column
    assert window_closes_at(naive_utc) == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert window_is_open(naive_utc, datetime(2026, 12, 2, 9, 59, tzinfo=wib))
    assert not window_is_open(naive_utc, datetime(2026, 12, 2, 10, 0, tzinfo=wib))
