"""Writes to an office's calendar: the operator's closures and the supervisor's overrides.

Add and flush only; the boundary (CLI command, API view) commits. Rows are the record of who
changed the calendar and why; the log says that it happened, without personal data.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.core.clock import now
from pandawa.hours.models import Office, OfficeClosure, OfficeOverride
from pandawa.hours.queries import calendar_for

log = logging.getLogger(__name__)

CLOSURE_KINDS = ("closed", "open")
MAX_REASON = 200


def _reason(reason: str | None) -> str:
    return (reason or "").strip()[:MAX_REASON]


def add_closure(
    session: Session,
    office: Office,
    day: date,
    reason: str,
    actor_id: int | None = None,
    kind: str = "closed",
) -> OfficeClosure:
    """Close the office all day on the local date `day` (kind "open": cancel a holiday there).

    One row per office and date: a second change of the same date replaces the first.
    """
    if kind not in CLOSURE_KINDS:
        raise ValueError(f"closure kind {kind!r}: expected one of {', '.join(CLOSURE_KINDS)}")
    row = session.scalar(
        sa.select(OfficeClosure)
        .where(OfficeClosure.office_id == office.id, OfficeClosure.day == day)
        .with_for_update()
    )
    if row is None:
        row = OfficeClosure(office_id=office.id, day=day)
        session.add(row)
    row.kind = kind
    row.reason = _reason(reason)
    row.actor_id = actor_id
    row.created_at = now()
    session.flush()
    log.info("office %s: %s on %s set by user %s", office.code, kind, day, row.actor_id)
    return row


def remove_holiday(
    session: Session, office: Office, day: date, reason: str, actor_id: int | None = None
) -> OfficeClosure:
    """The package's holiday on `day` does not apply (e.g. the sidang isbat fixed another
    date): the weekly hours apply again on that date."""
    return add_closure(session, office, day, reason, actor_id, kind="open")


def move_holiday(
    session: Session,
    office: Office,
    from_day: date,
    to_day: date,
    reason: str,
    actor_id: int | None = None,
) -> tuple[OfficeClosure, OfficeClosure]:
    """The holiday moves from `from_day` to `to_day`: open on the first, closed on the second."""
    if from_day == to_day:
        raise ValueError("a holiday cannot move to the date it is on")
    return (
        remove_holiday(session, office, from_day, reason, actor_id),
        add_closure(session, office, to_day, reason, actor_id),
    )


def delete_closure(session: Session, office: Office, day: date) -> bool:
    """Forget the operator's change on `day` (the package and catalogue apply again)."""
    deleted = session.execute(
        sa.delete(OfficeClosure).where(
            OfficeClosure.office_id == office.id, OfficeClosure.day == day
        )
    ).rowcount
    session.flush()
    if deleted:
        log.info("office %s: operator change on %s deleted", office.code, day)
    return bool(deleted)


def override_now(
    session: Session,
    office: Office,
    kind: str,
    at: datetime,
    actor_id: int | None = None,
    reason: str = "",
) -> OfficeOverride:
    """Open (`kind="open"`) or close (`"closed"`) the office from `at`.

    Opening early on a working day lasts until that day's last regular closing, so the office
    simply stays open through its hours; on a holiday or after hours, until local midnight.
    Closing lasts to the end of the office's local day.
    """
    calendar = calendar_for(session, office)
    day = calendar.local_date(at)
    ends_at = calendar.day_bounds(day)[1]
    if kind == "open":
        regular = calendar.regular_intervals(day)
        if regular and regular[-1][1] > at:
            ends_at = regular[-1][1]
    elif kind != "closed":
        raise ValueError(f"an override opens or closes, not {kind!r}")
    return _override(session, office, kind, at, ends_at, actor_id, reason)


def add_override(
    session: Session,
    office: Office,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    *,
    actor_id: int | None = None,
    reason: str = "",
    queue_id: int | None = None,
) -> OfficeOverride:
    """Force [starts_at, ends_at) open or closed for the office (`queue_id`: closed for that
    queue's tickets in the office only; a queue is never opened on its own)."""
    if kind not in ("open", "closed"):
        raise ValueError(f"an override opens or closes, not {kind!r}")
    if ends_at <= starts_at:
        raise ValueError("an override ends after it starts")
    if queue_id is not None and kind != "closed":
        raise ValueError("a queue is only ever closed on its own; open the office instead")
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)  # stored in UTC
    return _override(session, office, kind, starts_at, ends_at, actor_id, reason, queue_id)


def revoke_override(
    session: Session, row: OfficeOverride, *, actor_id: int | None, at: datetime
) -> bool:
    """Undo an override: the calendar no longer obeys it, the row stays as the record.
    False when it was undone already."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = at
    row.revoked_by_id = actor_id
    session.flush()
    log.info("office override %s undone by user %s", row.id, actor_id)
    return True


def _override(
    session: Session,
    office: Office,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    actor_id: int | None,
    reason: str,
    queue_id: int | None = None,
) -> OfficeOverride:
    row = OfficeOverride(
        office_id=office.id,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=_reason(reason),
        actor_id=actor_id,
        created_at=now(),
        queue_id=queue_id,
    )
    session.add(row)
    session.flush()
    log.info(
        "office %s: override %s from %s to %s by user %s",
        office.code,
        kind,
        starts_at.isoformat(),
        ends_at.isoformat(),
        row.actor_id,
    )
    return row
