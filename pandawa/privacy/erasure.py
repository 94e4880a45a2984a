"""Erasing a citizen's data, on request or by retention: the rows stay (ids, times, statuses,
queues, ratings) so every anonymous count and figure stays right; what the citizen wrote, sent,
was asked and is called goes, and their number becomes `erased:<contact id>`.

Operations flush, never commit. Media files are content-addressed (the same photo sent twice
is one file), so a file is removed only when no message still refers to it, and only after the
boundary committed (`remove_files`): a rolled-back erasure must not lose files its rows name.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.audit.operations import record
from pandawa.channels.media_store import stored_path
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.core.clock import now
from pandawa.core.config import Settings
from pandawa.privacy.lookup import erased_token
from pandawa.privacy.records import CitizenRecords, gather
from pandawa.tickets.checklist.models import TicketChecklistItem
from pandawa.tickets.models import Ticket, TicketEvent

log = logging.getLogger(__name__)

# what a ticket keeps of its details: the service asked for (the figures filter on it)
KEPT_DETAILS = ("service",)
# free text an agent or citizen may have typed into a ticket event's data
EVENT_TEXT_KEYS = ("reason", "comment", "body", "text", "name")
ERASED_EVENT = "erased"


@dataclass
class Erasure:
    """What one erasure changed (zeros: nothing was left), and the files to remove after the
    commit."""

    contacts: int = 0
    conversations: int = 0
    messages: int = 0
    tickets: int = 0
    notes: int = 0
    files: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "contacts": self.contacts,
            "conversations": self.conversations,
            "messages": self.messages,
            "tickets": self.tickets,
            "notes": self.notes,
            "files": len(self.files),
        }

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())

    def add(self, other: Erasure) -> None:
        self.contacts += other.contacts
        self.conversations += other.conversations
        self.messages += other.messages
        self.tickets += other.tickets
        self.notes += other.notes
        self.files.extend(p for p in other.files if p not in self.files)


def stored_names(message: Message) -> list[str]:
    """The names of the stored files a message's media items refer to."""
    return [
        item["stored_name"]
        for item in message.media or []
        if isinstance(item, dict) and isinstance(item.get("stored_name"), str)
    ]


def scrub_message(message: Message, token: str | None = None) -> tuple[bool, list[str]]:
    """Empty a message of what was said and sent; with `token`, replace the citizen's number on
    it. Returns whether anything changed and the stored media names it referred to."""
    names = stored_names(message)
    before = (
        message.body,
        message.media,
        message.extra,
        message.content_variables,
        message.error_message,
        message.sender,
        message.recipient,
    )
    message.body = ""
    message.media = []
    message.extra = {}
    message.content_variables = None
    message.error_message = None
    if token is not None:
        if message.direction == "in":
            message.sender = token
        else:
            message.recipient = token
    after = (
        message.body,
        message.media,
        message.extra,
        message.content_variables,
        message.error_message,
        message.sender,
        message.recipient,
    )
    return before != after, names


def scrub_ticket(session: Session, ticket: Ticket, events: list[TicketEvent] | None = None) -> bool:
    """Keep a ticket's service and figures; drop its collected details and the free text of
    its events. Marks it with an `erased` event once. Returns whether it was not erased yet."""
    if events is None:
        events = list(
            session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
        )
    details = ticket.details or {}
    ticket.details = {key: details[key] for key in KEPT_DETAILS if key in details}
    for event in events:
        if event.ticket_id == ticket.id and any(k in (event.data or {}) for k in EVENT_TEXT_KEYS):
            event.data = {k: v for k, v in event.data.items() if k not in EVENT_TEXT_KEYS}
    if any(e.ticket_id == ticket.id and e.kind == ERASED_EVENT for e in events):
        return False
    session.add(
        TicketEvent(
            ticket_id=ticket.id, kind=ERASED_EVENT, actor_id=None, data={}, created_at=now()
        )
    )
    return True


def drop_checklists(session: Session, ticket_ids: list[int]) -> None:
    """The citizen's answers to a service's checklist (issue 17) go with the details; one
    statement for all the tickets."""
    if ticket_ids:
        session.execute(
            sa.delete(TicketChecklistItem).where(TicketChecklistItem.ticket_id.in_(ticket_ids))
        )


def scrub_messages(
    session: Session, settings: Settings, messages: list[Message], token: str | None = None
) -> Erasure:
    """Scrub these messages; the media files no message refers to any more, to remove."""
    done = Erasure()
    names: set[str] = set()
    for message in messages:
        changed, stored = scrub_message(message, token)
        names.update(stored)
        if changed:
            done.messages += 1
            done.notes += int(message.is_internal_note)
    session.flush()
    done.files = unreferenced_files(session, settings, names)
    return done


def erase_records(session: Session, settings: Settings, found: CitizenRecords) -> Erasure:
    """Everything of these contacts: messages, tickets' details, bot state, name, number."""
    at = now()
    done = Erasure()
    tokens = {c.address: erased_token(c.id) for c in found.contacts}
    for message in found.messages:
        address = message.sender if message.direction == "in" else message.recipient
        changed, _ = scrub_message(message, tokens.get(address))
        if changed:
            done.messages += 1
            done.notes += int(message.is_internal_note)
    session.flush()
    for ticket in found.tickets:
        done.tickets += int(scrub_ticket(session, ticket, found.events))
    drop_checklists(session, [ticket.id for ticket in found.tickets])
    for conversation in found.conversations:
        if conversation.state_data or conversation.state != "idle":
            done.conversations += 1
        conversation.state_data = {}
        conversation.state = "idle"
    for contact in found.contacts:
        if contact.erased_at is None:
            done.contacts += 1
        contact.address = erased_token(contact.id)
        contact.wa_id = None
        contact.name = None
        # a block's reason is staff's words about this person: erased with them (the block
        # itself, its time and who set it stay, as the audit keeps them)
        contact.blocked_reason = None
        contact.erased_at = contact.erased_at or at
    session.flush()
    return done


def erase_citizen(
    session: Session,
    settings: Settings,
    contacts: list[Contact],
    *,
    actor_id: int | None = None,
    actor_label: str = "",
    address: str = "",
) -> Erasure:
    """Erase these contacts on the citizen's request; one audit row per contact (no number in
    it). The caller commits, then calls `remove_files(erasure.files)`."""
    found = gather(session, contacts)
    names = {name for message in found.messages for name in stored_names(message)}
    done = erase_records(session, settings, found)
    done.files = unreferenced_files(session, settings, names)
    for contact in contacts:
        record(
            session,
            "privacy_erase",
            actor_id=actor_id,
            actor_label=actor_label,
            contact_id=contact.id,
            address=address,
            details=done.counts(),
        )
    log.info("privacy erase contacts=%s counts=%s", [c.id for c in contacts], done.counts())
    return done


def unreferenced_files(session: Session, settings: Settings, names: set[str]) -> list[Path]:
    """The stored files among `names` that no message refers to any more (flushed state)."""
    paths = []
    for name in sorted(names):
        path = stored_path(settings, {"status": "stored", "stored_name": name})
        if path is None:
            continue
        still = session.scalar(
            sa.select(Message.id).where(sa.cast(Message.media, sa.Text).contains(name)).limit(1)
        )
        if still is None:
            paths.append(path)
    return paths


def remove_files(paths: list[Path]) -> int:
    """Remove the files after the commit; those already gone count as removed."""
    removed = 0
    for path in paths:
        with suppress(FileNotFoundError):
            path.unlink()
        removed += 1
    return removed
