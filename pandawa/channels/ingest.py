"""Storing inbound messages: one INSERT, idempotent on the provider's message id.

The webhook (and the simulator page) build an `InboundMessage` and call `store_inbound`; the
row is handed on to the conversation layer by task name after the boundary commits, so this
module knows nothing of conversations or tickets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pandawa.channels.fields import clean_text
from pandawa.channels.media import FETCH_MEDIA_TASK
from pandawa.channels.models import Message
from pandawa.core import clock
from pandawa.core.jobs import enqueue_after_commit

PROCESS_INBOUND_TASK = "conversations.process_inbound"
# the row's flag when invisible control characters were removed from what the citizen wrote
CLEANED_FLAG = "control characters removed"

_table = Message.__table__
_statements: dict[str, Insert] = {}


@dataclass
class InboundMessage:
    provider: str
    provider_message_id: str
    sender: str
    recipient: str
    body: str
    message_type: str = "text"
    media: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    # when the citizen sent it by the provider's clock (Meta's `timestamp`, the simulator);
    # None when the provider tells no time (Twilio): the arrival time stands in
    sent_at: datetime | None = None
    # set when the payload was stored but is not understood ("unsupported: sticker")
    flag: str | None = None


def store_inbound(session: Session, msg: InboundMessage) -> int | None:
    """Insert the message unless the provider delivered it before.

    Returns the new row's id, or None for a repeat. One statement, no SELECT: the unique
    constraint on (provider, provider_message_id) decides, also between concurrent requests.
    When inserted, `conversations.process_inbound` is published after the commit, and
    `channels.fetch_media` too when the message carries media.
    """
    at = clock.now()
    msg = _storable(msg)
    new_id = session.execute(
        _insert_for(session),
        {
            "direction": "in",
            "provider": msg.provider,
            "provider_message_id": msg.provider_message_id,
            "sender": msg.sender,
            "recipient": msg.recipient,
            "body": msg.body,
            "message_type": msg.message_type,
            "media": msg.media,
            "extra": msg.extra,
            "flag": msg.flag[:200] if msg.flag else None,
            "status": "received",
            "attempts": 0,
            "is_internal_note": False,
            "created_at": at,
            "updated_at": at,
            "provider_sent_at": msg.sent_at or at,
        },
    ).scalar()
    if new_id is None:
        return None
    enqueue_after_commit(session, PROCESS_INBOUND_TASK, new_id)
    if msg.media:
        # fetched on its own: the bot answers without waiting for the bytes
        enqueue_after_commit(session, FETCH_MEDIA_TASK, new_id)
    return new_id


def _insert_for(session: Session) -> Insert:
    # built once per dialect and reused: SQLAlchemy's compiled cache then does the rest
    name = session.get_bind().dialect.name
    statement = _statements.get(name)
    if statement is None:
        dialect_insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[name]
        statement = (
            dialect_insert(_table)
            .on_conflict_do_nothing(index_elements=["provider", "provider_message_id"])
            .returning(_table.c.id)
        )
        _statements[name] = statement
    return statement


def _storable(msg: InboundMessage) -> InboundMessage:
    """PostgreSQL text cannot hold NUL characters; a message with one would fail the INSERT and
    answer 503 forever (the provider retrying). What a person wrote (the body, the profile name
    and the like) loses its NUL and other C0 controls, tab and line breaks kept, and the row is
    flagged; a NUL left anywhere else (structured media data) becomes U+FFFD."""
    body = clean_text(msg.body)
    extra = {k: clean_text(v) if isinstance(v, str) else v for k, v in msg.extra.items()}
    if body != msg.body or extra != msg.extra:
        msg = replace(msg, body=body, extra=extra, flag=msg.flag or CLEANED_FLAG)
    if "\\u0000" in json.dumps([msg.media, msg.extra]):
        msg = replace(
            msg,
            media=json.loads(json.dumps(msg.media).replace("\\u0000", "\\ufffd")),
            extra=json.loads(json.dumps(msg.extra).replace("\\u0000", "\\ufffd")),
            flag=msg.flag or CLEANED_FLAG,
        )
    return msg
