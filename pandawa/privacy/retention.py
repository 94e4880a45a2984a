"""Retention: closed conversations older than RETENTION_DAYS are erased, keeping the rows for
the anonymous counts. Three kinds, oldest state first:

- a contact with nothing newer than the cutoff and no open ticket: erased entirely, number too;
- a resolved or cancelled ticket closed before the cutoff: its details and its messages;
- a bot-only message (on no ticket) older than the cutoff, in a conversation with no open
  ticket: its text, media and extras.

Idempotent: an erased contact has `erased_at`, an erased ticket an `erased` event, an erased
message an empty body, media and extras; none is picked again. Two beats at once: the rows are
claimed with FOR UPDATE SKIP LOCKED (PostgreSQL), so each is erased by one of them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.audit.operations import record
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.config import Settings
from pandawa.privacy.erasure import (
    ERASED_EVENT,
    Erasure,
    drop_checklists,
    erase_records,
    scrub_messages,
    scrub_ticket,
    stored_names,
    unreferenced_files,
)
from pandawa.privacy.records import gather
from pandawa.tickets.models import OPEN_STATUSES, Ticket, TicketEvent

log = logging.getLogger(__name__)

BATCH = 500


def cutoff_of(settings: Settings, at: datetime) -> datetime:
    return at - timedelta(days=settings.retention_days)


def erase_expired(
    session: Session, settings: Settings, at: datetime, *, batch: int = BATCH
) -> Erasure:
    """One batch of what is past retention at `at`; one `retention_erase` audit row with the
    counts when anything was erased. The caller commits, then removes `files`."""
    cutoff = cutoff_of(settings, at)
    done = Erasure()
    names: set[str] = set()

    contacts = list(session.scalars(_expired_contacts(cutoff).limit(batch)))
    if contacts:
        found = gather(session, contacts)
        names.update(n for m in found.messages for n in stored_names(m))
        done.add(erase_records(session, settings, found))

    tickets = list(session.scalars(_expired_tickets(cutoff).limit(batch)))
    for ticket in tickets:
        scrub_ticket(session, ticket)
    drop_checklists(session, [ticket.id for ticket in tickets])
    done.tickets += len(tickets)
    if tickets:
        on_tickets = list(
            session.scalars(
                sa.select(Message).where(
                    Message.ticket_id.in_([t.id for t in tickets]), _not_scrubbed()
                )
            )
        )
        names.update(n for m in on_tickets for n in stored_names(m))
        done.add(scrub_messages(session, settings, on_tickets))

    bot_only = list(session.scalars(_expired_bot_messages(cutoff).limit(batch * 10)))
    names.update(n for m in bot_only for n in stored_names(m))
    done.add(scrub_messages(session, settings, bot_only))

    session.flush()
    done.files = unreferenced_files(session, settings, names)
    if not done.is_empty:
        record(
            session,
            "retention_erase",
            actor_label="retention",
            details={**done.counts(), "cutoff": cutoff.isoformat()},
        )
        log.info("retention erase cutoff=%s counts=%s", cutoff.isoformat(), done.counts())
    return done


def _not_scrubbed() -> sa.ColumnElement[bool]:
    """A message that still holds something: text, media items or extras."""
    return sa.or_(
        Message.body != "",
        sa.cast(Message.media, sa.Text).not_in(["[]", "null"]),
        sa.cast(Message.extra, sa.Text).not_in(["{}", "null"]),
        Message.content_variables.is_not(None),
    )


def _expired_contacts(cutoff: datetime) -> sa.Select:
    open_or_recent_ticket = (
        sa.select(Ticket.id)
        .where(
            Ticket.contact_id == Contact.id,
            sa.or_(
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.updated_at >= cutoff,
                Ticket.created_at >= cutoff,
            ),
        )
        .exists()
    )
    recent_conversation = (
        sa.select(Conversation.id)
        .where(
            Conversation.contact_id == Contact.id,
            sa.or_(Conversation.updated_at >= cutoff, Conversation.last_inbound_at >= cutoff),
        )
        .exists()
    )
    recent_message = (
        sa.select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.contact_id == Contact.id, Message.created_at >= cutoff)
        .exists()
    )
    return (
        sa.select(Contact)
        .where(
            Contact.erased_at.is_(None),
            Contact.created_at < cutoff,
            ~open_or_recent_ticket,
            ~recent_conversation,
            ~recent_message,
        )
        .order_by(Contact.id)
        .with_for_update(skip_locked=True, of=Contact)
    )


def _expired_tickets(cutoff: datetime) -> sa.Select:
    closed_at = sa.func.coalesce(Ticket.resolved_at, Ticket.cancelled_at)
    already = (
        sa.select(TicketEvent.id)
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == ERASED_EVENT)
        .exists()
    )
    return (
        sa.select(Ticket)
        .where(Ticket.status.in_(("resolved", "cancelled")), closed_at < cutoff, ~already)
        .order_by(Ticket.id)
        .with_for_update(skip_locked=True, of=Ticket)
    )


def _expired_bot_messages(cutoff: datetime) -> sa.Select:
    open_ticket = (
        sa.select(Ticket.id)
        .where(
            Ticket.conversation_id == Message.conversation_id,
            Ticket.status.in_(OPEN_STATUSES),
        )
        .exists()
    )
    return (
        sa.select(Message)
        .where(
            Message.ticket_id.is_(None),
            Message.conversation_id.is_not(None),
            Message.created_at < cutoff,
            ~open_ticket,
            _not_scrubbed(),
        )
        .order_by(Message.id)
        .with_for_update(skip_locked=True, of=Message)
    )
