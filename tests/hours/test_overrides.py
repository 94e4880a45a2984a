"""Emergency closures and extra openings (issue 17) against the calendar: properties over random
calendars and intervals (a queue's closure only ever removes time from its office; outside the
closure nothing changes; an extra opening is open throughout), "close now"'s default end, and
the stored rows — per queue, undone — as `calendar_for` reads them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.hours import operations
from pandawa.hours.calendar import CalendarError, OfficeCalendar, Override
from pandawa.hours.queries import calendar_for, queue_calendars, with_overrides
from pandawa.tickets.closure import default_closure_end
from tests.hours.conftest import WIB, local
from tests.hours.test_calendar_properties import calendars, whole_seconds

PROFILE = settings(max_examples=120)


class Row:
    """What `with_overrides` reads of an OfficeOverride row."""

    def __init__(self, starts_at: datetime, ends_at: datetime, kind: str) -> None:
        self.starts_at, self.ends_at, self.kind = starts_at, ends_at, kind


@st.composite
def closures(draw) -> Row:
    start = draw(whole_seconds)
    return Row(start, start + timedelta(seconds=draw(st.integers(60, 5 * 86400))), "closed")


def _probes(start: datetime, end: datetime) -> list[datetime]:
    """Instants around and inside [start, end): its edges and a few between."""
    step = (end - start) / 4
    return [
        start - timedelta(seconds=1),
        start,
        start + step,
        start + 2 * step,
        end - timedelta(seconds=1),
        end,
        end + timedelta(hours=3),
    ]


@PROFILE
@given(calendars(), st.lists(closures(), min_size=1, max_size=3))
def test_a_queue_closure_only_removes_open_time(calendar: OfficeCalendar, rows: list[Row]):
    queue = with_overrides(calendar, rows)
    for row in rows:
        for at in _probes(row.starts_at, row.ends_at):
            inside = any(r.starts_at <= at < r.ends_at for r in rows)
            if inside:
                assert not queue.is_open(at)
            else:
                assert queue.is_open(at) == calendar.is_open(at)
        window = (row.starts_at - timedelta(days=1), row.ends_at + timedelta(days=1))
        assert queue.business_seconds(*window) <= calendar.business_seconds(*window)


@PROFILE
@given(calendars(), whole_seconds, st.integers(60, 2 * 86400))
def test_an_extra_opening_is_open_throughout_and_wins_over_earlier_closures(
    calendar: OfficeCalendar, start: datetime, length: int
):
    end = start + timedelta(seconds=length)
    closed_first = with_overrides(calendar, [Row(start - timedelta(hours=1), end, "closed")])
    opened = with_overrides(closed_first, [Row(start, end, "open")])
    for at in _probes(start, end):
        if start <= at < end:
            assert opened.is_open(at)
    assert opened.business_seconds(start, end) == length


@PROFILE
@given(calendars(), whole_seconds)
def test_close_now_by_default_lasts_to_a_closing_and_shuts_what_was_open(
    calendar: OfficeCalendar, at: datetime
):
    try:
        calendar.next_opening(at)
    except CalendarError:
        return  # never opens: nothing to close
    end = default_closure_end(calendar, at)
    assert end > at
    if calendar.is_open(at):
        assert end == calendar.next_closing(at)
    closed = OfficeCalendar(
        zone=calendar.zone,
        weekly=calendar.weekly,
        closed_days=calendar.closed_days,
        open_days=calendar.open_days,
        overrides=(*calendar.overrides, Override(at, end, "closed")),
    )
    assert closed.business_seconds(at, end) == 0
    # the next opening after the default closure is no earlier than its end
    assert closed.next_opening(at) >= end


# -- stored rows ------------------------------------------------------------------------------
def test_queue_rows_shape_only_their_queue_and_undone_rows_shape_nothing(
    session, clock, make_office, make_queue, make_user
):
    clock.set(local(WIB, 2026, 12, 1, 9, 0))
    office, queue, other = make_office(), make_queue(), make_queue()
    supervisor = make_user(role="supervisor")
    at = local(WIB, 2026, 12, 1, 10, 0)
    row = operations.add_override(
        session,
        office,
        "closed",
        at,
        at + timedelta(hours=2),
        actor_id=supervisor.id,
        reason="Petugas rapat",
        queue_id=queue.id,
    )
    assert calendar_for(session, office).is_open(at)
    assert calendar_for(session, office, queue_id=other.id).is_open(at)
    assert not calendar_for(session, office, queue_id=queue.id).is_open(at)
    own = queue_calendars(session, {office.id: calendar_for(session, office)})
    assert list(own) == [(office.id, queue.id)] and not own[(office.id, queue.id)].is_open(at)

    assert operations.revoke_override(session, row, actor_id=supervisor.id, at=at)
    assert not operations.revoke_override(session, row, actor_id=supervisor.id, at=at)
    assert calendar_for(session, office, queue_id=queue.id).is_open(at)
    assert queue_calendars(session, {office.id: calendar_for(session, office)}) == {}
    assert row.revoked_by_id == supervisor.id and row.reason == "Petugas rapat"


def test_a_queue_is_never_opened_on_its_own(session, make_office, make_queue):
    office, queue = make_office(), make_queue()
    at = local(WIB, 2026, 12, 5, 9, 0)
    with pytest.raises(ValueError):
        operations.add_override(
            session, office, "open", at, at + timedelta(hours=1), queue_id=queue.id
        )
    with pytest.raises(ValueError):
        operations.add_override(session, office, "closed", at, at)
