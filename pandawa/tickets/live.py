"""What the console hears about tickets: the ORM changes of a transaction, as live events.

Ticket changes and messages on tickets are noticed by a flush listener (every state change of
a ticket writes a `TicketEvent`; every message of a ticket is a `Message` row with
`ticket_id`), so no operation has to remember to announce itself. Delivery statuses change by
Core UPDATEs the ORM cannot see: the channel layer notes them (`core.live.status_after_commit`).
Before the commit the notes are resolved into events naming the ticket and its queue; the core
bus publishes them after it (`pandawa.core.live`). Registered by `init_app`, from create_app.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from pandawa.channels.contract import contract_status
from pandawa.channels.models import Message
from pandawa.core.live import QUIET_STATUSES, RAW, add_ready, take_changes
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue, Ticket, TicketEvent

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Listen to every session's flushes and commits (once per process)."""
    for name, listener in (("after_flush", _collect), ("before_commit", _resolve)):
        if not sa_event.contains(Session, name, listener):
            sa_event.listen(Session, name, listener)


def _collect(session: Session, _context: Any) -> None:
    raw = session.info.setdefault(RAW, [])
    for obj in session.new:
        if isinstance(obj, TicketEvent):
            raw.append(("ticket", (obj.ticket_id, obj.kind, dict(obj.data or {}))))
        elif isinstance(obj, Message) and obj.ticket_id is not None:
            raw.append(("message", obj.id))
    for obj in session.dirty:
        if not isinstance(obj, Message) or obj.ticket_id is None:
            continue
        state = sa.inspect(obj)
        if state.attrs.ticket_id.history.has_changes():
            raw.append(("message", obj.id))
        elif (
            obj.direction == "out"
            and obj.status not in QUIET_STATUSES
            and state.attrs.status.history.has_changes()
        ):
            raw.append(("status", obj.id))
    if not raw:
        session.info.pop(RAW, None)


def _resolve(session: Session) -> None:
    if not session.info.get(RAW) and not session.new and not session.dirty:
        return
    session.flush()  # the commit's own flush comes after this hook: collect it now
    raw = take_changes(session)
    if not raw:
        return
    try:
        events = _events_for(session, raw)
    except Exception:  # a live update must never cost the transaction it reports on
        log.warning("live: could not resolve %s changes; not published", len(raw), exc_info=True)
        return
    add_ready(session, events)


class _TicketRef(NamedTuple):
    id: int
    number: str
    status: str
    assignee_id: int | None
    code: str
    office: str  # the office's code: a supervisor bound to offices reads only hers (issue 17)


def _events_for(session: Session, raw: list[tuple[str, Any]]) -> list[dict]:
    message_ids = {ref for kind, ref in raw if kind in ("message", "status")}
    sids = [ref for kind, ref in raw if kind == "status_sid"]
    messages: dict[int, Any] = {}
    tickets: dict[int, Any] = {}
    if message_ids or sids:
        where = [Message.id.in_(message_ids)] if message_ids else []
        where += [
            sa.and_(Message.provider == p, Message.provider_message_id == sid) for p, sid in sids
        ]
        # each message with its ticket and queue in one query: a send and a status callback
        # (the hot paths) need nothing else
        rows = session.execute(
            sa.select(
                Message.id,
                Message.ticket_id,
                Message.direction,
                Message.status,
                Message.provider,
                Message.provider_message_id,
                Ticket.number,
                Ticket.status.label("ticket_status"),
                Ticket.assignee_id,
                Queue.code,
                Office.code.label("office_code"),
            )
            .join(Ticket, Ticket.id == Message.ticket_id)
            .join(Queue, Queue.id == Ticket.queue_id)
            .join(Office, Office.id == Ticket.office_id)
            .where(sa.or_(*where))
        )
        for row in rows:
            messages[row.id] = row
            tickets[row.ticket_id] = _TicketRef(
                row.ticket_id,
                row.number,
                row.ticket_status,
                row.assignee_id,
                row.code,
                row.office_code,
            )
    by_sid = {(m.provider, m.provider_message_id): m.id for m in messages.values()}
    wanted = {ref[0] for kind, ref in raw if kind == "ticket"} - set(tickets)
    if wanted:
        for row in session.execute(
            sa.select(
                Ticket.id, Ticket.number, Ticket.status, Ticket.assignee_id, Queue.code, Office.code
            )
            .join(Queue, Queue.id == Ticket.queue_id)
            .join(Office, Office.id == Ticket.office_id)
            .where(Ticket.id.in_(wanted))
        ):
            tickets[row.id] = _TicketRef(*row)

    events: list[dict] = []
    for kind, ref in raw:
        if kind == "ticket":
            ticket_id, what, data = ref
            ticket = tickets.get(ticket_id)
            if ticket is None:
                continue
            queues = {ticket.code}
            if what == "transferred":  # the list of the queue it left changes too
                queues |= {q for q in (data.get("from"), data.get("to")) if isinstance(q, str)}
            for code in sorted(queues):
                events.append(
                    {
                        "type": "ticket",
                        "ticket": ticket.number,
                        "queue": code,
                        "event": what,
                        "status": ticket.status,
                        "assignee": ticket.assignee_id,
                        "office": ticket.office,
                    }
                )
            continue
        message_id = by_sid.get(ref) if kind == "status_sid" else ref
        message = messages.get(message_id) if message_id is not None else None
        ticket = tickets.get(message.ticket_id) if message is not None else None
        if ticket is None:
            continue
        event = {
            "type": "message" if kind == "message" else "status",
            "ticket": ticket.number,
            "queue": ticket.code,
            "message_id": message.id,
            "direction": message.direction,
            "assignee": ticket.assignee_id,
            "office": ticket.office,
        }
        if message.direction == "out":
            event["status"] = contract_status(message.status)
        events.append(event)
    return events
