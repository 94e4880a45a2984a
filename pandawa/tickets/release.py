"""Opening and closing time: deferred tickets go to their queues at opening, oldest first,
and citizens still waiting at closing hear once that their ticket stays in the queue.

Both run from beat every half minute and are safe on two beats at once, or after a beat that
was down at 08:00: tickets are claimed with `FOR UPDATE SKIP LOCKED` and a status (or a
notice mark) that the same transaction changes, so each is released and told exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.catalog.queries import active_catalog
from pandawa.citizens.models import Contact, Conversation
from pandawa.hours.calendar import OfficeCalendar
from pandawa.hours.formatting import format_local
from pandawa.hours.models import Office
from pandawa.hours.queries import calendars_for_offices, queue_calendars
from pandawa.tickets.models import Ticket
from pandawa.tickets.notify import notify_citizen
from pandawa.tickets.operations import add_event
from pandawa.tickets.surge import capped_queue_ids

log = logging.getLogger(__name__)
BATCH = 200
# advisory lock key (with the office id): one releaser per office at a time
RELEASE_LOCK = 0x50445752
# a closing notice is only worth sending soon after the closing itself
NOTICE_WITHIN = timedelta(hours=2)


def release_due(session: Session, at: datetime) -> int:
    """Release every deferred ticket of every office open at `at`; commits per batch."""
    released = 0
    calendars = calendars_for_offices(session)
    # a queue closed on its own (issue 17) keeps its deferred tickets while its office opens
    own = queue_calendars(session, calendars)
    for office_id, calendar in calendars.items():
        if not calendar.is_open(at):
            continue
        shut = [q for (o, q), cal in own.items() if o == office_id and not cal.is_open(at)]
        # a second beat (or a slow first one) skips an office another releaser is working
        # on: batches then commit, and their notifications queue, strictly oldest first
        while _release_turn(session, office_id) and (
            batch := _locked_batch(session, office_id, at, shut)
        ):
            # held while the batch is told: the session keeps only what is referenced
            conversations = _load_conversations(session, batch)
            catalog = active_catalog()  # one catalogue for the batch, not a lookup per ticket
            # the batch's state changes first, written in one flush (batched statements);
            # then each citizen is told, oldest first
            for ticket in batch:
                ticket.status = "waiting"
                # a ticket deferred by an emergency closure (issue 17) keeps its place
                ticket.released_at = ticket.released_at or at
                ticket.updated_at = at
                add_event(session, ticket, "released", deferred_since=ticket.created_at.isoformat())
            session.flush()
            for ticket in batch:
                notify_citizen(
                    session, ticket, "agent_will_reply", at, catalog, ticket=ticket.number
                )
            session.commit()
            released += len(batch)
            del conversations
    if released:
        log.info("released %s deferred tickets", released)
    return released


def _release_turn(session: Session, office_id: int) -> bool:
    """This transaction's turn to release the office's next batch (until it commits)."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite has one writer at a time anyway
    return bool(
        session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(RELEASE_LOCK, office_id)))
    )


def _load_conversations(session: Session, batch: list[Ticket]) -> list[Conversation]:
    """The batch's conversations (and contacts) in one query, so telling each citizen finds
    them in the session instead of one SELECT per ticket."""
    ids = [ticket.conversation_id for ticket in batch]
    with session.no_autoflush:
        return list(session.scalars(sa.select(Conversation).where(Conversation.id.in_(ids))))


def _locked_batch(
    session: Session, office_id: int, at: datetime, shut_queues: list[int]
) -> list[Ticket]:
    return list(
        session.scalars(
            sa.select(Ticket)
            .where(
                Ticket.office_id == office_id,
                Ticket.status == "deferred",
                Ticket.created_at <= at,
                Ticket.queue_id.not_in(shut_queues) if shut_queues else sa.true(),
            )
            # a queue in surge with a cap takes its deferred tickets as it drains (surge_rule)
            .where(Ticket.queue_id.not_in(capped_queue_ids()))
            .order_by(Ticket.created_at, Ticket.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=Ticket)
        )
    )


def notify_closing(session: Session, at: datetime) -> int:
    """Tell citizens whose ticket still waits at closing time that it stays queued."""
    told = 0
    calendars = calendars_for_offices(session)
    offices = {o.id: o for o in session.scalars(sa.select(Office).where(Office.id.in_(calendars)))}
    for office_id, calendar in calendars.items():
        closed_at = _recent_closing(calendar, at)
        if closed_at is None:
            continue
        office = offices[office_id]
        opens = calendar.next_opening(at)
        while batch := _unnoticed_waiting(session, office_id, closed_at):
            for ticket in batch:
                ticket.closing_notice_at = at
                contact_language = _language(session, ticket)
                notify_citizen(
                    session,
                    ticket,
                    "closing_notice",
                    at,
                    ticket=ticket.number,
                    opens_at=format_local(opens, office.timezone, contact_language),
                )
            session.commit()
            told += len(batch)
    return told


def _recent_closing(calendar: OfficeCalendar, at: datetime) -> datetime | None:
    if calendar.is_open(at):
        return None
    closed_at = calendar.last_closing_before(at)
    if closed_at is None or at - closed_at > NOTICE_WITHIN:
        return None
    return closed_at


def _unnoticed_waiting(session: Session, office_id: int, closed_at: datetime) -> list[Ticket]:
    return list(
        session.scalars(
            sa.select(Ticket)
            .where(
                Ticket.office_id == office_id,
                Ticket.status == "waiting",
                Ticket.released_at < closed_at,
                sa.or_(Ticket.closing_notice_at.is_(None), Ticket.closing_notice_at < closed_at),
            )
            .order_by(Ticket.released_at, Ticket.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=Ticket)
        )
    )


def _language(session: Session, ticket: Ticket) -> str:
    contact = session.get(Contact, ticket.contact_id)
    return (contact.language if contact else None) or "id"
