"""Writes on tickets: open, reply, transfer, resolve (claiming is in `claims`).

Every function adds and flushes, never commits (the view, task or command does), stamps times
from `pandawa.core.clock.now()`, and appends a `TicketEvent` for each change of state. Callers that
change an existing ticket load it with a row lock (`queries.get_visible_ticket(...,
for_update=True)`) so two agents acting at once are serialised by the database.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.channels.outbox import queue_outbound
from pandawa.channels.window import window_is_open
from pandawa.citizens.consent import is_blocked
from pandawa.citizens.models import Conversation
from pandawa.core.clock import now
from pandawa.core.jobs import enqueue_after_commit
from pandawa.hours.models import Office
from pandawa.hours.queries import calendar_for
from pandawa.tickets import signals
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket, TicketEvent
from pandawa.tickets.notify import NO_TEMPLATE_MESSAGE, ask_to_reopen, cannot_ask_to_reopen
from pandawa.tickets.numbers import new_ticket_number

if TYPE_CHECKING:
    from datetime import datetime

    from pandawa.accounts.models import User
    from pandawa.channels.models import Message

log = logging.getLogger(__name__)

# WhatsApp refuses longer free-form bodies
MAX_BODY_LENGTH = 4096
# a resolution told to the citizen later (the console's undo period): the task that tells, and
# the ticket event that records it was told (at most once per resolution)
ANNOUNCE_TASK = "tickets.announce_resolved"
ANNOUNCED = "resolution_announced"


class TicketError(Exception):
    """A request the ticket's state or the actor's role does not allow."""

    code = "ticket_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotHolder(TicketError):
    code = "not_holder"


class TicketClosed(TicketError):
    code = "ticket_closed"


class UnknownQueue(TicketError):
    code = "unknown_queue"


class InvalidBody(TicketError):
    code = "invalid_body"


class SameQueue(TicketError):
    code = "same_queue"


class ContactBlocked(TicketError):
    """The citizen's number is blocked: nothing is sent to it (tickets.blocking)."""

    code = "contact_blocked"


class NoTemplate(TicketError):
    """Past the 24-hour window with no approved template to ask the citizen to answer."""

    code = "no_template"


def add_event(
    session: Session, ticket: Ticket, kind: str, actor: User | None = None, **data: Any
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        data=data,
        created_at=now(),
    )
    session.add(event)
    return event


def open_ticket(
    session: Session,
    *,
    conversation_id: int,
    contact_id: int,
    office_id: int,
    queue_id: int,
    details: dict | None = None,
    status: str = "waiting",
) -> Ticket:
    """A new ticket, waiting in its queue (inside hours) or deferred until opening.

    One open ticket per conversation is a unique index: callers check first, and an
    IntegrityError on a race is theirs to handle.
    """
    if status not in ("waiting", "deferred"):
        raise ValueError(f"a new ticket is waiting or deferred, not {status!r}")
    office = session.get(Office, office_id)
    if office is None:
        raise ValueError(f"office {office_id} does not exist")
    at = now()
    ticket = Ticket(
        number=_unused_number(session, at, office.timezone),
        office_id=office_id,
        queue_id=queue_id,
        conversation_id=conversation_id,
        contact_id=contact_id,
        status=status,
        details=dict(details or {}),
        created_at=at,
        released_at=at if status == "waiting" else None,
        updated_at=at,
    )
    session.add(ticket)
    session.flush()
    add_event(session, ticket, "created", status=status, queue_id=queue_id)
    session.flush()
    log.info("ticket %s opened (%s) in queue %s", ticket.number, status, queue_id)
    return ticket


def _unused_number(session: Session, at: Any, timezone: str) -> str:
    # 32**6 numbers a day make a clash unlikely; checking first keeps one from aborting the
    # transaction that carries the citizen's handoff
    for _ in range(8):
        number = new_ticket_number(at, timezone)
        taken = session.scalar(sa.select(Ticket.id).where(Ticket.number == number))
        if taken is None:
            return number
    raise RuntimeError("could not find an unused ticket number")


def reply(session: Session, ticket: Ticket, user: User, body: str) -> list[Message]:
    """Send `body` to the citizen as the agent; the outbox delivers it after the commit.

    Past the 24-hour window the text is held, the approved template asks the citizen to
    answer (once per reopening), and the held text goes out when they do. Without such a
    template (and none sent since the citizen last wrote) the reply is refused (`NoTemplate`):
    held, it would wait for a message the citizen has no reason to send. A blocked citizen
    gets nothing (`ContactBlocked`).
    """
    require_can_reply(session, ticket, user)
    text = _valid_body(body)
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    at = now()
    window_open = window_is_open(conversation.last_inbound_at, at)
    if not window_open:
        if cannot_ask_to_reopen(ticket, conversation):
            raise NoTemplate(NO_TEMPLATE_MESSAGE)
        ask_to_reopen(session, ticket, conversation, at)
    messages = queue_outbound(
        session,
        provider=conversation.contact.provider,
        sender=conversation.channel_address,
        recipient=conversation.contact.address,
        body=text,
        conversation_id=conversation.id,
        ticket_id=ticket.id,
        author_id=user.id,
        hold=not window_open,
    )
    record_reply(session, ticket, user, messages, at, held=not window_open)
    return messages


def require_can_reply(session: Session, ticket: Ticket, user: User) -> None:
    """What a reply of any kind (text, a file) needs: the citizen not blocked, the ticket open,
    claimed, and held by `user` or `user` a supervisor. Raises the TicketError that says which
    is missing."""
    _require_not_blocked(session, ticket)
    _require_open(ticket)
    if ticket.status != "assigned":
        raise NotHolder(
            "Tiket belum diambil petugas; ambil tiket dahulu. / "
            "The ticket is not claimed yet; claim it first."
        )
    _require_holder_or_supervisor(ticket, user)


def record_reply(
    session: Session, ticket: Ticket, user: User, messages: list[Message], at: Any, *, held: bool
) -> None:
    """The bookkeeping of a reply queued as `messages`: the first response's wait, the
    ticket's time, the `replied` event (as `reply` writes them)."""
    if ticket.first_response_at is None:
        _record_first_response(session, ticket, at)
    ticket.updated_at = at
    session.flush()
    add_event(session, ticket, "replied", user, message_ids=[m.id for m in messages], held=held)
    session.flush()


def _record_first_response(session: Session, ticket: Ticket, at: Any) -> None:
    """The wait the citizen had, from asking to the first reply: in calendar seconds and in
    business seconds (a Friday 16:00 ticket answered Monday 08:10 waited 10 business minutes)."""
    ticket.first_response_at = at
    ticket.wait_seconds = int((at - ticket.created_at).total_seconds())
    ticket.wait_business_seconds = calendar_for(
        session, ticket.office, queue_id=ticket.queue_id
    ).business_seconds(ticket.created_at, at)


def transfer(
    session: Session, ticket: Ticket, user: User, queue_code: str, reason: str | None = None
) -> Ticket:
    """Put the ticket back to waiting in another queue; it keeps its place in time."""
    _require_open(ticket)
    _require_holder_or_supervisor(ticket, user)
    code = (queue_code or "").strip() if isinstance(queue_code, str) else ""
    target = session.scalar(sa.select(Queue).where(Queue.code == code, Queue.is_active))
    if target is None:
        raise UnknownQueue(f"Antrean {code!r} tidak dikenal. / Unknown queue {code!r}.")
    if target.id == ticket.queue_id:
        raise SameQueue(
            f"Tiket sudah berada di antrean {code}. / The ticket is already in queue {code}."
        )
    source = ticket.queue.code
    session.flush()
    at = now()
    move_to_queue(session, ticket, target, user, reason, at)
    session.flush()
    # the citizen is told where their request went (tickets.transfer_notice)
    signals.ticket_transferred.send(session, ticket=ticket, at=at)
    log.info("ticket %s transferred from %s to %s", ticket.number, source, target.code)
    return ticket


def move_to_queue(
    session: Session,
    ticket: Ticket,
    target: Queue,
    actor: User | None,
    reason: str | None,
    at: datetime,
) -> None:
    """The state change of a transfer, and its `transferred` event (actor None: the system,
    e.g. a catalogue load). No checks: the caller has made them."""
    source = ticket.queue.code
    ticket.queue_id = target.id
    ticket.queue = target
    # a deferred ticket stays deferred (it has not been released yet); any other open
    # ticket waits in the new queue at its original released_at, so it is not sent to the back
    if ticket.status != "deferred":
        ticket.status = "waiting"
    ticket.assignee_id = None
    ticket.assignee = None
    ticket.assigned_at = None
    ticket.transfer_count = (ticket.transfer_count or 0) + 1
    ticket.updated_at = at
    add_event(
        session,
        ticket,
        "transferred",
        actor,
        **{"from": source, "to": target.code, "reason": reason},
    )


def resolve(session: Session, ticket: Ticket, user: User, *, announce_after: int = 0) -> Ticket:
    """Close the ticket and announce it (`signals.ticket_resolved`): the conversation layer
    tells the citizen and asks for a 1–5 rating, in this transaction — or, with
    `announce_after` seconds (the console's undo period), in the named task
    `tickets.announce_resolved` that long after the commit, unless the resolution was undone
    meanwhile (tickets/undo.py)."""
    _require_open(ticket)
    _require_holder_or_supervisor(ticket, user)
    at = now()
    previous = ticket.status
    ticket.status = "resolved"
    ticket.resolved_at = at
    ticket.updated_at = at
    session.flush()
    # the status before, so that an undo puts the ticket back as it was; how long it may be
    add_event(
        session, ticket, "resolved", user, previous_status=previous, undo_seconds=announce_after
    )
    session.flush()
    if announce_after > 0:
        enqueue_after_commit(
            session, ANNOUNCE_TASK, ticket.id, at.isoformat(), countdown=announce_after
        )
        return ticket
    # the citizen's side (closing message, the rating question) is the conversation layer's
    signals.ticket_resolved.send(session, ticket=ticket, at=at)
    return ticket


def _require_not_blocked(session: Session, ticket: Ticket) -> None:
    conversation = session.get(Conversation, ticket.conversation_id)
    if conversation is not None and is_blocked(conversation.contact):
        raise ContactBlocked(
            "Nomor warga ini diblokir; pesan tidak dikirim. / "
            "This citizen's number is blocked; nothing is sent."
        )


def _require_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise TicketClosed(
            f"Tiket {ticket.number} sudah ditutup ({ticket.status}). / "
            f"Ticket {ticket.number} is closed ({ticket.status})."
        )


def _require_holder_or_supervisor(ticket: Ticket, user: User) -> None:
    if user.sees_all_queues:
        return
    if ticket.status != "assigned" or ticket.assignee_id != user.id:
        raise NotHolder(
            f"Tiket {ticket.number} tidak sedang Anda tangani. / "
            f"You do not hold ticket {ticket.number}."
        )


def _valid_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidBody("Isi pesan tidak boleh kosong. / The message body must not be empty.")
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidBody(
            f"Isi pesan melebihi {MAX_BODY_LENGTH} karakter. / "
            f"The message body exceeds {MAX_BODY_LENGTH} characters."
        )
    return body
