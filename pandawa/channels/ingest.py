"""Storing inbound messages: one statement, idempotent on the provider's message id.

The webhook (and the simulator page) build an `InboundMessage` and call `store_inbound`; the
row is handed on to the conversation layer by task name, in the task outbox of the same
transaction (core/outbox.py), so this module knows nothing of conversations or tickets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, Insert, Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pandawa.channels.fields import clean_text
from pandawa.channels.media import FETCH_MEDIA_TASK
from pandawa.channels.models import Message
from pandawa.core import clock, outbox
from pandawa.core.jobs import enqueue_after_commit
from pandawa.core.sqltypes import UTCDateTime

PROCESS_INBOUND_TASK = "conversations.process_inbound"
# the row's flag when invisible control characters were removed from what the citizen wrote
CLEANED_FLAG = "control characters removed"

_table = Message.__table__
_statements: dict[str, Any] = {}
_COLUMNS = (
    "direction",
    "provider",
    "provider_message_id",
    "sender",
    "recipient",
    "body",
    "message_type",
    "media",
    "extra",
    "flag",
    "status",
    "attempts",
    "is_internal_note",
    "created_at",
    "updated_at",
    "provider_sent_at",
)


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


def store_inbound_committed(bind: Engine | Connection, msg: InboundMessage) -> int | None:
    """`store_inbound` and its commit, for a request that stores the message and nothing else
    (the provider webhooks): the row and its tasks are durable when this returns.

    On PostgreSQL the one statement runs on its own in autocommit mode — a single statement is
    atomic, so the message and its tasks still land together or not at all — which spares the
    two round trips (and the server's work) of `BEGIN` and `COMMIT`: the request pays one round
    trip to the database and builds no ORM session. On the embedded SQLite it is a session's
    insert and commit; given a connection (already in a transaction: the tests' rolled-back
    one), a savepoint within it.
    """
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        with Session(bind, join_transaction_mode="create_savepoint") as session:
            new_id = store_inbound(session, msg)
            session.commit()
            return new_id
    row = _row(msg)
    with bind.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(_with_tasks(bool(row["media"])), row).scalar()


def store_inbound(session: Session, msg: InboundMessage) -> int | None:
    """Insert the message unless the provider delivered it before, with its tasks.

    Returns the new row's id, or None for a repeat. No SELECT: the unique constraint on
    (provider, provider_message_id) decides, also between concurrent requests. A new row comes
    with its `task_outbox` rows in the same transaction — `conversations.process_inbound`, and
    `channels.fetch_media` when the message carries media — which the dispatcher publishes
    once the boundary commits. On PostgreSQL the message and its tasks are ONE statement (a
    data-modifying CTE): one round trip, and a repeat writes no task.
    """
    row = _row(msg)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return session.execute(_with_tasks(bool(row["media"])), row).scalar()
    new_id = session.execute(_insert_for(dialect), row).scalar()
    if new_id is None:
        return None
    enqueue_after_commit(session, PROCESS_INBOUND_TASK, new_id)
    if row["media"]:
        # fetched on its own: the bot answers without waiting for the bytes
        enqueue_after_commit(session, FETCH_MEDIA_TASK, new_id)
    return new_id


def _row(msg: InboundMessage) -> dict[str, Any]:
    """The message's INSERT parameters, stamped with the clock's time."""
    at = clock.now()
    msg = _storable(msg)
    return {
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
    }


def _insert_for(dialect: str) -> Insert:
    # built once per dialect and reused: SQLAlchemy's compiled cache then does the rest
    statement = _statements.get(dialect)
    if statement is None:
        dialect_insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
        statement = (
            dialect_insert(_table)
            .values({name: sa.bindparam(name) for name in _COLUMNS})
            .on_conflict_do_nothing(index_elements=["provider", "provider_message_id"])
            .returning(_table.c.id)
        )
        _statements[dialect] = statement
    return statement


def _with_tasks(with_media: bool) -> Select:
    """WITH new_message AS (INSERT … ON CONFLICT DO NOTHING RETURNING id),
    tasks AS (INSERT INTO task_outbox SELECT … FROM new_message) SELECT id FROM new_message."""
    key = f"postgresql+tasks+{with_media}"
    statement = _statements.get(key)
    if statement is None:
        new_message = _insert_for("postgresql").cte("new_message")
        names = [PROCESS_INBOUND_TASK, *([FETCH_MEDIA_TASK] if with_media else [])]
        at = sa.bindparam("created_at", type_=UTCDateTime)
        selects = [
            sa.select(
                sa.literal(name, sa.String), sa.func.jsonb_build_array(new_message.c.id), at
            ).select_from(new_message)
            for name in names
        ]
        rows = selects[0] if len(selects) == 1 else sa.union_all(*selects)
        tasks = (
            postgresql.insert(outbox.TABLE)
            .from_select(["name", "args", "created_at"], rows)
            .cte("tasks")
        )
        statement = sa.select(new_message.c.id).add_cte(tasks)
        _statements[key] = statement
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
