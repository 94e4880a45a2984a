"""Reading a ticket's checklist: what the console's ticket page and the API show."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.channels.models import Message
from pandawa.tickets.checklist.models import TicketChecklistItem


@dataclass(frozen=True)
class ChecklistRow:
    item: TicketChecklistItem
    # the document's media item as stored (content type, status), None for a check
    media: dict | None


def ticket_checklist(session: Session, ticket_id: int) -> list[ChecklistRow]:
    """The ticket's checklist in catalogue order, each document with its media item (one query
    for the rows, one for their messages)."""
    items = list(
        session.scalars(
            sa.select(TicketChecklistItem)
            .where(TicketChecklistItem.ticket_id == ticket_id)
            .order_by(TicketChecklistItem.position)
        )
    )
    ids = {item.message_id for item in items if item.message_id is not None}
    media: dict[int, list] = {}
    if ids:
        media = {
            message_id: list(items_ or [])
            for message_id, items_ in session.execute(
                sa.select(Message.id, Message.media).where(
                    Message.id.in_(ids), Message.ticket_id == ticket_id
                )
            )
        }
    rows = []
    for item in items:
        found = media.get(item.message_id) if item.message_id is not None else None
        index = item.media_index or 0
        entry = found[index] if found and index < len(found) else None
        rows.append(ChecklistRow(item, entry if isinstance(entry, dict) else None))
    return rows
