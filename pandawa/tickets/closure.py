"""Emergency closure and extra opening (issue 17): a supervisor closes an office — or one queue
of it — now until a time, opens it for extra hours, or undoes either; the citizens whose time
changed are told, in their language, with the new time.

The change itself is an audited calendar override (`hours.operations`): release at opening,
intake and the estimates read the same calendar (`hours.queries.calendar_for` with the queue),
so a closed office defers new handoffs and releases nothing until it reopens.

What happens to tickets when the calendar changes at `at`:
- waiting tickets (not yet with an agent) whose calendar is now closed go back to deferred,
  keeping their `released_at` (their place in the queue when it reopens), and each citizen is
  told the new opening time (`office_closed_now`);
- deferred tickets are told only when their next opening moved: later (`office_closed_now`) or
  earlier (`office_reopened` after an undo, `office_extra_opening`); when it moved to now,
  release (beat, every half minute) releases them and tells them as usual instead;
- assigned tickets stay with their agent: the conversation is under way, the agent decides.

The tickets change in the page's transaction; the citizens are told after its commit by the
named task `tickets.tell_calendar_change` (`tell_citizens`, in batches, once per ticket), the
time as the calendar then stands. Messages go the way every notice goes
(`tickets.notify.notify_citizen`): free text within the 24-hour window, else the approved
reopening template once; the outbox asks `tickets.consent` (opt-out, blocking). Add and flush
only: the page (or command) commits once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.audit import operations as audit
from pandawa.catalog.queries import active_catalog
from pandawa.citizens.models import Conversation
from pandawa.core.clock import now
from pandawa.core.jobs import enqueue_after_commit
from pandawa.hours import operations as hours_ops
from pandawa.hours.calendar import CalendarError, OfficeCalendar
from pandawa.hours.formatting import format_local
from pandawa.hours.models import Office, OfficeOverride
from pandawa.hours.queries import calendar_for, queue_calendars
from pandawa.tickets.models import Queue, Ticket, TicketEvent
from pandawa.tickets.notify import notify_citizen
from pandawa.tickets.operations import add_event

log = logging.getLogger(__name__)

CLOSED_TEXT = "office_closed_now"
REOPENED_TEXT = "office_reopened"
EXTRA_TEXT = "office_extra_opening"
# the named task that tells the citizens (tickets/tasks.py), and the event marking each told
TELL_TASK = "tickets.tell_calendar_change"
NOTICE_EVENT = "calendar_notice"
BATCH = 200


class ClosureError(ValueError):
    """A closure or opening the calendar cannot take (e.g. it ends before it starts)."""


@dataclass(frozen=True)
class Outcome:
    override: OfficeOverride
    deferred: int  # waiting tickets put back to deferred
    told: int  # citizens to be told their new time (by TELL_TASK after the commit)
    action: str = "apply"  # or "undo"
    notices: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, text key)


CalendarOf = Callable[[int], OfficeCalendar]


def default_closure_end(calendar: OfficeCalendar, at: datetime) -> datetime:
    """Where "close now" ends unless told otherwise: the end of today's hours when the office
    is open, else the end of its next opening (the whole next service day is closed)."""
    try:
        opening = calendar.next_opening(at)
        return calendar.next_closing(opening) or calendar.day_bounds(calendar.local_date(at))[1]
    except CalendarError:
        return calendar.day_bounds(calendar.local_date(at))[1]


def close_now(
    session: Session,
    office: Office,
    *,
    until: datetime,
    at: datetime,
    actor: User,
    reason: str,
    queue: Queue | None = None,
    address: str = "",
) -> Outcome:
    """Close the office (or `queue` in it) from `at` until `until`."""
    if until <= at:
        raise ClosureError("Waktu berakhir harus setelah sekarang. / The end must be after now.")
    before = _calendars(session, office)
    row = hours_ops.add_override(
        session,
        office,
        "closed",
        at,
        until,
        actor_id=actor.id,
        reason=reason,
        queue_id=queue.id if queue else None,
    )
    _audit(session, "office_closed", actor, office, row, address)
    return _apply(
        session, office, row, before, at, actor, later=CLOSED_TEXT, earlier=None, closing=True
    )


def open_extra(
    session: Session,
    office: Office,
    *,
    starts_at: datetime,
    ends_at: datetime,
    at: datetime,
    actor: User,
    reason: str,
    address: str = "",
) -> Outcome:
    """Open the office for extra hours [starts_at, ends_at): deferred tickets are released at
    its start by the usual release (and told then); until it starts, their citizens hear the
    earlier time."""
    if ends_at <= starts_at:
        raise ClosureError(
            "Jam selesai harus setelah jam mulai. / The end must be after the start."
        )
    if ends_at <= at:
        raise ClosureError("Jam tambahan sudah lewat. / The extra hours are already over.")
    before = _calendars(session, office)
    row = hours_ops.add_override(
        session, office, "open", max(starts_at, at), ends_at, actor_id=actor.id, reason=reason
    )
    _audit(session, "office_opened", actor, office, row, address)
    return _apply(session, office, row, before, at, actor, later=CLOSED_TEXT, earlier=EXTRA_TEXT)


def undo(
    session: Session, row: OfficeOverride, *, at: datetime, actor: User, address: str = ""
) -> Outcome | None:
    """Undo an override: the calendar is as before it; citizens whose time changed are told.
    None when it was undone already."""
    office = session.get(Office, row.office_id)
    assert office is not None
    before = _calendars(session, office)
    if not hours_ops.revoke_override(session, row, actor_id=actor.id, at=at):
        return None
    _audit(session, "office_override_undone", actor, office, row, address)
    earlier = REOPENED_TEXT if row.kind == "closed" else None
    return _apply(session, office, row, before, at, actor, later=CLOSED_TEXT, earlier=earlier)


# -- what the change does to tickets ---------------------------------------------------------
def _calendars(session: Session, office: Office) -> CalendarOf:
    """queue id → the calendar of that queue's tickets in the office, as it stands now."""
    calendar = calendar_for(session, office)
    own = queue_calendars(session, {office.id: calendar})
    return lambda queue_id: own.get((office.id, queue_id), calendar)


def _apply(
    session: Session,
    office: Office,
    row: OfficeOverride,
    before: CalendarOf,
    at: datetime,
    actor: User,
    *,
    later: str,
    earlier: str | None,
    closing: bool = False,
) -> Outcome:
    """`closing`: a closure now, which defers every waiting ticket its calendar now shuts
    (even after hours, when they would otherwise wait for the usual opening); otherwise only
    those the change itself shut (an extra opening undone while it ran).

    The tickets change here, in the page's transaction; the citizens are told by the named
    task `tickets.tell_calendar_change` after the commit, in batches (an office may have
    thousands of deferred tickets on a Monday morning: no request waits for them)."""
    session.flush()
    after = _calendars(session, office)
    verdicts: dict[int, tuple[bool, str | None]] = {}

    def verdict(queue_id: int) -> tuple[bool, str | None]:
        """For the queue's tickets: (whether waiting ones go back to deferred, the text a
        deferred one hears, None when its time did not move or moved to now) — the same for
        every ticket of the queue, so worked out once per queue."""
        if queue_id not in verdicts:
            old, new = before(queue_id), after(queue_id)
            shut = not new.is_open(at) and (closing or old.is_open(at))
            old_opening, new_opening = _opening(old, at), _opening(new, at)
            key: str | None = None
            if new_opening != old_opening and new_opening is not None and new_opening > at:
                key = later if old_opening is None or new_opening > old_opening else earlier
            verdicts[queue_id] = (shut, key)
        return verdicts[queue_id]

    deferred = 0
    notices: list[tuple[int, str]] = []
    for ticket in _open_tickets(session, office.id, row.queue_id):
        shut, key = verdict(ticket.queue_id)
        if ticket.status == "waiting":
            if not shut:
                continue
            ticket.status = "deferred"
            ticket.updated_at = at
            add_event(session, ticket, "deferred", actor, override_id=row.id, reason=row.reason)
            deferred += 1
            notices.append((ticket.id, later))
        elif key is not None:  # deferred: told only when their time moved
            notices.append((ticket.id, key))
    session.flush()
    action = "undo" if row.revoked_at is not None else "apply"
    if notices:
        enqueue_after_commit(session, TELL_TASK, row.id, action, at.isoformat(), notices)
    log.info(
        "office %s override %s (%s): %s tickets deferred, %s citizens to tell",
        office.code,
        row.id,
        action,
        deferred,
        len(notices),
    )
    return Outcome(row, deferred, len(notices), action, notices)


def tell_citizens(
    session: Session,
    override_id: int,
    action: str,
    at_iso: str,
    notices: Iterable[Sequence[Any]],
) -> int:
    """Tell each citizen of `notices` ([ticket id, text key]) their ticket's new time, from
    the calendar as it stands; commits per batch. Once per ticket, override and action (a
    `calendar_notice` event marks it), and only while the ticket is still deferred (one the
    release let go meanwhile heard "a person will reply" instead). Returns how many were told."""
    del at_iso  # when the change was made; the citizen hears the time as it stands now
    pending = [(int(ticket_id), str(key)) for ticket_id, key in notices]
    catalog = active_catalog()
    told = 0
    for start in range(0, len(pending), BATCH):
        chunk = dict(pending[start : start + BATCH])
        tickets = list(
            session.scalars(
                sa.select(Ticket)
                .where(Ticket.id.in_(chunk), Ticket.status == "deferred")
                .order_by(Ticket.created_at, Ticket.id)
                .with_for_update(skip_locked=True, of=Ticket)
            )
        )
        done = _told_already(session, [t.id for t in tickets], override_id, action)
        # held while the batch is told: the session keeps only what is referenced
        conversations = _load_conversations(session, tickets)
        calendars: dict[tuple[int, int], OfficeCalendar] = {}
        for ticket in tickets:
            if ticket.id in done:
                continue
            key = (ticket.office_id, ticket.queue_id)
            if key not in calendars:
                calendars[key] = calendar_for(session, ticket.office, queue_id=ticket.queue_id)
            current = now()
            opening = _opening(calendars[key], current)
            if opening is None or opening <= current:
                continue  # open again already: the release tells them
            language = _language(session, ticket)
            notify_citizen(
                session,
                ticket,
                chunk[ticket.id],
                current,
                catalog,
                ticket=ticket.number,
                opens_at=format_local(opening, ticket.office.timezone, language),
            )
            add_event(
                session,
                ticket,
                NOTICE_EVENT,
                override_id=override_id,
                action=action,
                text=chunk[ticket.id],
            )
            told += 1
        session.commit()
        del conversations
    return told


def _told_already(
    session: Session, ticket_ids: list[int], override_id: int, action: str
) -> set[int]:
    if not ticket_ids:
        return set()
    rows = session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.data).where(
            TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == NOTICE_EVENT
        )
    )
    return {
        ticket_id
        for ticket_id, data in rows
        if (data or {}).get("override_id") == override_id and (data or {}).get("action") == action
    }


def _opening(calendar: OfficeCalendar, at: datetime) -> datetime | None:
    try:
        return calendar.next_opening(at)
    except CalendarError:  # never opens within the horizon: say nothing rather than guess
        return None


def _open_tickets(session: Session, office_id: int, queue_id: int | None) -> list[Ticket]:
    """The office's (or the queue's) queued tickets, oldest first, locked: a release or a claim
    running at the same moment waits for this change (or skips these rows)."""
    stmt = (
        sa.select(Ticket)
        .where(Ticket.office_id == office_id, Ticket.status.in_(("waiting", "deferred")))
        .order_by(Ticket.created_at, Ticket.id)
        .with_for_update(of=Ticket)
    )
    if queue_id is not None:
        stmt = stmt.where(Ticket.queue_id == queue_id)
    return list(session.scalars(stmt))


def _load_conversations(session: Session, tickets: Iterable[Ticket]) -> list[Conversation]:
    ids = [ticket.conversation_id for ticket in tickets]
    if not ids:
        return []
    with session.no_autoflush:
        return list(session.scalars(sa.select(Conversation).where(Conversation.id.in_(ids))))


def _language(session: Session, ticket: Ticket) -> str:
    conversation = session.get(Conversation, ticket.conversation_id)
    contact = conversation.contact if conversation else None
    return (contact.language if contact else None) or "id"


def _audit(
    session: Session,
    action: str,
    actor: User,
    office: Office,
    row: OfficeOverride,
    address: str,
) -> None:
    queue = session.get(Queue, row.queue_id) if row.queue_id else None
    audit.record(
        session,
        action,
        actor_id=actor.id,
        actor_label=actor.email,
        address=address,
        details={
            "override_id": row.id,
            "office": office.code,
            "queue": queue.code if queue else None,
            "kind": row.kind,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
            "reason": row.reason,
        },
    )
