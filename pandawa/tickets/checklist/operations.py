"""Writing a ticket's checklist at the handoff (add and flush; the task commits)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.catalog.checklist import ChecklistItem
from pandawa.channels.models import Message
from pandawa.tickets.checklist.models import TicketChecklistItem


def record_checklist(
    session: Session, ticket_id: int, items: list[ChecklistItem], answers: dict[str, Any]
) -> list[TicketChecklistItem]:
    """One row per answered item (`answers` as the bot keeps them: index → answer), and the
    messages holding the documents moved onto the ticket, where the agent opens them."""
    rows: list[TicketChecklistItem] = []
    for position, item in enumerate(items):
        answer = answers.get(str(position))
        if answer is None:
            continue
        row = TicketChecklistItem(
            ticket_id=ticket_id,
            position=position,
            kind=item.kind,
            text_id=item.text("id"),
            text_en=item.text("en"),
            is_required=item.is_required if item.is_document else True,
        )
        if item.is_document:
            received = answer.get("status") == "received"
            row.state = "received" if received else "skipped"
            row.message_id = answer.get("message_id") if received else None
            row.media_index = answer.get("index") if received else None
        else:
            row.state = "met" if answer.get("qualifies") else "not_met"
            row.answer = answer.get("answer")
        rows.append(row)
    session.add_all(rows)
    ids = {row.message_id for row in rows if row.message_id is not None}
    if ids:
        session.execute(
            sa.update(Message)
            .where(Message.id.in_(ids), Message.direction == "in")
            .values(ticket_id=ticket_id)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return rows
