"""Agents by name on the console's pages: the ticket's messages with their authors' display
names (`User.display_name`: the name, else the e-mail's local part), in one query."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User, display_name
from pandawa.channels.models import Message


def messages_with_authors(session: Session, ticket_id: int) -> list[tuple[Message, str | None]]:
    """Every message of a ticket, oldest first, with its author's display name (None: the
    citizen or the bot)."""
    rows = session.execute(
        sa.select(Message, User.name, User.email)
        .outerjoin(User, User.id == Message.author_id)
        .where(Message.ticket_id == ticket_id)
        .order_by(Message.id)
    )
    return [
        (message, display_name(name, email) if email else None) for message, name, email in rows
    ]
