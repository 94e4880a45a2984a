"""A ticket's checklist as the agent reads it on the ticket page: each check with the answer,
each document with a link to the stored file (through the audited media route), ticked."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy.orm import Session

from pandawa.citizens.masking import mask_text
from pandawa.console.checklist_i18n import t
from pandawa.tickets.checklist.queries import ticket_checklist
from pandawa.tickets.models import Ticket

MARKS = {"met": "✔", "received": "✔", "not_met": "✘", "skipped": "–"}


@dataclass(frozen=True)
class ChecklistLine:
    kind: str
    state: str
    mark: str
    state_label: str
    text: str
    is_required: bool
    answer: str | None = None
    url: str | None = None
    content_type: str | None = None


def checklist_lines(session: Session, ticket: Ticket, language: str) -> list[ChecklistLine]:
    lines = []
    for row in ticket_checklist(session, ticket.id):
        item = row.item
        stored = row.media is not None and row.media.get("status") == "stored"
        url = None
        if item.state == "received" and stored and item.message_id is not None:
            url = url_for(
                "console.media",
                number=ticket.number,
                message_id=item.message_id,
                index=item.media_index or 0,
            )
        lines.append(
            ChecklistLine(
                kind=item.kind,
                state=item.state,
                mark=MARKS.get(item.state, "?"),
                state_label=t(f"state_{item.state}"),
                # catalogue wording, but masked like every text staff read
                text=mask_text(item.text(language)),
                is_required=item.is_required,
                answer=t(f"answer_{item.answer}") if item.answer else None,
                url=url,
                content_type=(row.media or {}).get("content_type"),
            )
        )
    return lines
