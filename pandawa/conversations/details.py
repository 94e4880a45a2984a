"""The details a service collects before the handoff: each answer read by its field's type,
and the photos sent meanwhile put on the ticket when it is opened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.channels.models import Message
from pandawa.conversations import validators

DETAIL_VALIDATORS: dict[str, Callable[[str], Any]] = {
    "nik": validators.valid_nik,
    "card_number": validators.valid_card_number,
    "date": validators.valid_date,
    "text": validators.valid_text,
    "phone": validators.normalise_phone,
}


def read_detail(kind: str, message: Message) -> Any:
    """The value to keep for a detail of type `kind`, or None when the answer does not fit."""
    if kind == "photo":
        # where the photos are: they reach the ticket with the handoff (see attach_collected)
        media = message.media or []
        return [{"message_id": message.id, "index": i} for i in range(len(media))] or None
    check = DETAIL_VALIDATORS.get(kind, validators.valid_text)
    return check(message.body or "")


def attach_collected(session: Session, details: dict, ticket_id: int) -> None:
    """Photos sent while the bot collected details belong on the ticket too."""
    ids = [
        ref["message_id"]
        for value in details.values()
        if isinstance(value, list)
        for ref in value
        if isinstance(ref, dict) and "message_id" in ref
    ]
    if ids:
        session.execute(
            sa.update(Message)
            .where(Message.id.in_(ids))
            .values(ticket_id=ticket_id)
            .execution_options(synchronize_session=False)
        )
