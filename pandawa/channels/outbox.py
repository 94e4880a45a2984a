"""The outbox: a `Message` row first, then a send task; the steps the send task commits between.

A body longer than one WhatsApp message through Twilio (1,600 characters) is split into parts
at the most natural boundary that fits. Every step here adds/updates and flushes; the caller
(a view, a task) commits. Sending is idempotent: a row is claimed under a row lock, marked
`sending` before the provider is called, and a row left in `sending` is looked up at the
provider before it is sent again.

Besides plain rows: `held` rows (an agent's text written while the 24-hour window is shut)
wait, unsent and outside the send order, until `release_held` when the citizen writes;
notifications to a citizen that are still waiting are merged into one message; templates go
as a Content API SID and variables, their rendered text kept only for the console.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pandawa import clock
from pandawa.channels.models import STATUS_RANK, Message
from pandawa.channels.pacing import Slot
from pandawa.channels.providers import OutboundRequest, SendError, SendResult, SentRecord
from pandawa.channels.split import MAX_BODY, split_body, utf16_units
from pandawa.jobs import enqueue_after_commit

SEND_TASK = "channels.send_message"
ADOPT_MARGIN = timedelta(seconds=5)  # clock skew between us and the provider
OPEN_STATUSES = ("pending", "sending")
HELD = "held"  # written outside the 24-hour window: not sent until the citizen writes
NOTIFICATION = "notification"  # extra["kind"] of a system notification (mergeable)
MERGE_SEPARATOR = "\n\n"
MAX_PACING_SLEEP = 1.0  # a worker sleeps up to this long for its send slot; longer: retry then
LOCKED_DEFER = 1.0  # a row locked by someone else (a merge, another attempt): ask again soon

_table = Message.__table__
# a sentence ends with . ! ? … (optionally followed by closing quotes/brackets) and a space


# -- queueing ----------------------------------------------------------------------------------


def queue_outbound(
    session: Session,
    *,
    provider: str,
    sender: str,
    recipient: str,
    body: str | None = None,
    content_sid: str | None = None,
    content_variables: dict | None = None,
    conversation_id: int | None = None,
    ticket_id: int | None = None,
    author_id: int | None = None,
    hold: bool = False,
) -> list[Message]:
    """Add one pending outbound row per part and send each after the commit, in order.

    A template (`content_sid`) is one message; `body` then is only what the console shows.
    With `hold` (the 24-hour window is shut) the rows are `held` and nothing is sent until
    `release_held`.
    """
    return _add_rows(
        session,
        provider=provider,
        sender=sender,
        recipient=recipient,
        body=body,
        content_sid=content_sid,
        content_variables=content_variables,
        conversation_id=conversation_id,
        ticket_id=ticket_id,
        author_id=author_id,
        status=HELD if hold else "pending",
        extra={},
    )


def _add_rows(
    session: Session,
    *,
    provider: str,
    sender: str,
    recipient: str,
    body: str | None,
    content_sid: str | None,
    content_variables: dict | None,
    conversation_id: int | None,
    ticket_id: int | None,
    author_id: int | None,
    status: str,
    extra: dict,
) -> list[Message]:
    if content_sid:
        parts = [body or ""]
    elif body and body.strip():
        parts = split_body(body)
    else:
        raise ValueError("an outbound message needs a body or a content_sid")
    at = clock.now()
    rows = [
        Message(
            direction="out",
            provider=provider,
            sender=sender,
            recipient=recipient,
            body=part,
            message_type="text",
            media=[],
            extra=dict(extra),
            content_sid=content_sid or None,
            content_variables=content_variables if content_sid else None,
            status=status,
            attempts=0,
            conversation_id=conversation_id,
            ticket_id=ticket_id,
            author_id=author_id,
            is_internal_note=False,
            created_at=at,
            updated_at=at,
        )
        for part in parts
    ]
    session.add_all(rows)
    session.flush()
    if status == "pending":
        for row in rows:
            enqueue_after_commit(session, SEND_TASK, row.id)
    return rows


def release_held(session: Session, conversation_id: int) -> int:
    """The citizen wrote (the window is open again): their held messages become pending, in
    id order, each sent after the commit. Returns how many were released.

    Their ids are older than anything queued since, so the send order puts them first.
    """
    rows = session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "out",
            Message.status == HELD,
        )
        .order_by(Message.id)
        .with_for_update(skip_locked=True)  # another release of the same rows is doing it
    ).all()
    at = clock.now()
    for row in rows:
        row.status = "pending"
        row.updated_at = at
    session.flush()
    for row in rows:
        enqueue_after_commit(session, SEND_TASK, row.id)
    return len(rows)


def queue_notification(
    session: Session,
    *,
    provider: str,
    sender: str,
    recipient: str,
    body: str,
    conversation_id: int | None = None,
    ticket_id: int | None = None,
) -> Message:
    """A system notification (no author, no template) to a citizen; returns its row.

    Several notifications due to one citizen at once become one message: while the newest
    unsent message to that citizen from this sender is a notification nobody has picked up
    (still `pending`, not locked by a send attempt) and the joined text fits one message,
    the new text is appended to it. Only the newest, so the merge never moves a text ahead
    of a message queued before it.
    """
    if not body or not body.strip():
        raise ValueError("a notification needs a body")
    row = _mergeable_notification(session, provider, sender, recipient, conversation_id)
    if row is not None and utf16_units(row.body + MERGE_SEPARATOR + body) <= MAX_BODY:
        row.body = row.body + MERGE_SEPARATOR + body
        # never earlier: a row waiting for its pacing slot keeps the sweeper off until then
        row.updated_at = max(clock.as_utc(row.updated_at), clock.now())
        row.ticket_id = row.ticket_id or ticket_id
        row.conversation_id = row.conversation_id or conversation_id
        session.flush()
        return row
    rows = _add_rows(
        session,
        provider=provider,
        sender=sender,
        recipient=recipient,
        body=body,
        content_sid=None,
        content_variables=None,
        conversation_id=conversation_id,
        ticket_id=ticket_id,
        author_id=None,
        status="pending",
        extra={"kind": NOTIFICATION},
    )
    return rows[0]


def _mergeable_notification(
    session: Session, provider: str, sender: str, recipient: str, conversation_id: int | None
) -> Message | None:
    unsent_to_citizen = [
        Message.direction == "out",
        Message.status.in_(OPEN_STATUSES),
        Message.provider == provider,
        Message.sender == sender,
        Message.recipient == recipient,
    ]
    if conversation_id is not None:
        # the same rows (a conversation is one citizen and one of our numbers, and every
        # message to a citizen carries its conversation), found through the conversation's
        # index: a release notifying 10,000 citizens must not scan the whole outbox each time
        unsent_to_citizen.append(Message.conversation_id == conversation_id)
    newest = session.execute(
        select(Message.id, Message.status, Message.extra["kind"].as_string())
        .where(*unsent_to_citizen)
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    if newest is None or newest.status != "pending" or newest[2] != NOTIFICATION:
        return None
    # a send attempt holds the row while it claims it: then it is as good as sent, skip it;
    # holding the lock until our commit keeps every send attempt off it meanwhile
    return session.scalars(
        select(Message)
        .where(Message.id == newest.id, Message.status == "pending")
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).one_or_none()


def queue_template(
    session: Session,
    *,
    provider: str,
    sender: str,
    recipient: str,
    content_sid: str,
    variables: dict,
    conversation_id: int | None = None,
    ticket_id: int | None = None,
    body_preview: str = "",
) -> Message:
    """An approved template (Twilio Content API: ContentSid + ContentVariables, no Body), the
    one kind of message allowed outside the 24-hour window. `body_preview` (the template's
    text with the variables filled in) is stored as the row's body for the console only."""
    if not content_sid:
        raise ValueError("a template needs its content_sid")
    values = {str(key): "" if value is None else str(value) for key, value in variables.items()}
    empty = sorted(key for key, value in values.items() if not value.strip())
    if empty:
        # Twilio refuses the whole message (error 21656) when a variable is null or empty
        raise ValueError(f"template {content_sid}: empty variable(s) {', '.join(empty)}")
    [row] = _add_rows(
        session,
        provider=provider,
        sender=sender,
        recipient=recipient,
        body=body_preview,
        content_sid=content_sid,
        content_variables=values,
        conversation_id=conversation_id,
        ticket_id=ticket_id,
        author_id=None,
        status="pending",
        extra={},
    )
    return row


# -- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A row marked `sending` by this attempt, with what the provider call needs."""

    message_id: int
    provider: str
    request: OutboundRequest
    attempts: int
    # set when an earlier attempt may have reached the provider: look there first
    check_since: datetime | None
    # the reserved pacing slot (under MAX_PACING_SLEEP away): sleep until it, then call
    slot: Slot | None = None


@dataclass(frozen=True)
class Defer:
    """Not now: try again in `seconds` (another attempt is in flight, an older message to the
    same citizen is still unsent, or the sender's next free pacing slot is that far off)."""

    seconds: float
    reason: str
    grows: bool = False  # wait longer on each repeat (waiting for another message)
    slot_at: float | None = None  # the pacing slot reserved for the retry (`Slot.at`)


def claim_for_send(
    session: Session,
    message_id: int,
    *,
    lease: timedelta,
    pace: Callable[[str], Slot] | None = None,
) -> Claim | Defer | None:
    """Lock the row and mark it `sending`; None when there is nothing to do.

    `lease` is how long a provider call can take: a row in `sending` younger than that may
    be in another worker's hands right now, so it is left alone. `pace(sender)` reserves the
    send slot, after every other check (a message that cannot go now wastes no slot) and
    before the row is marked: a slot further off than MAX_PACING_SLEEP leaves the row
    `pending`, attempts uncounted, and the attempt comes back at its slot.
    """
    row = session.scalars(
        select(Message).where(Message.id == message_id).with_for_update(skip_locked=True)
    ).one_or_none()
    if row is None:
        return _locked_or_gone(session, message_id)
    if row.direction != "out" or row.status not in OPEN_STATUSES:
        return None  # already sent or failed, held, or not ours
    at = clock.now()
    started = clock.as_utc(row.send_started_at)
    if row.status == "sending" and started and started + lease > at:
        return Defer((started + lease - at).total_seconds(), "in flight")
    older = session.scalar(
        select(Message.id)
        .where(
            Message.direction == "out",
            Message.status.in_(OPEN_STATUSES),
            Message.provider == row.provider,
            Message.sender == row.sender,
            Message.recipient == row.recipient,
            Message.id < row.id,
        )
        # the order of ix_message_unsent_to: without it the planner may walk every unsent row
        # of every citizen through ix_message_outbox (a release's thousands, on each send)
        .order_by(Message.id)
        .limit(1)
    )
    if older is not None:
        row.updated_at = at  # keeps the sweeper off this row while it waits its turn
        session.flush()
        return Defer(2.0, "older message first", grows=True)
    slot = None
    if pace is not None:
        slot = pace(row.sender)
        if slot.wait > MAX_PACING_SLEEP:
            # stays `pending` (a notification may still merge into it); the sweeper leaves
            # it alone until its slot has come and gone, so it does not waste another slot
            row.updated_at = max(clock.as_utc(row.updated_at), at + timedelta(seconds=slot.wait))
            session.flush()
            return Defer(slot.wait, "pacing", slot_at=slot.at)
    # every earlier attempt began after the row was created: look from there
    check_since = clock.as_utc(row.created_at) - ADOPT_MARGIN if row.status == "sending" else None
    row.status = "sending"
    row.attempts += 1
    row.send_started_at = at
    row.updated_at = at
    session.flush()
    return Claim(
        message_id=row.id,
        provider=row.provider,
        attempts=row.attempts,
        check_since=check_since,
        slot=slot,
        request=OutboundRequest(
            sender=row.sender,
            recipient=row.recipient,
            body=None if row.content_sid else row.body,
            content_sid=row.content_sid,
            content_variables=row.content_variables,
        ),
    )


def _locked_or_gone(session: Session, message_id: int) -> Defer | None:
    """The row is locked, or does not exist. Locked and still unsent: a notification is being
    merged into it (until that transaction commits) or another attempt is claiming it; come
    back shortly rather than drop the send, or it would wait for the sweeper."""
    status = session.scalar(
        select(Message.status).where(Message.id == message_id, Message.direction == "out")
    )
    if status in OPEN_STATUSES:
        return Defer(LOCKED_DEFER, "locked", grows=True)
    return None


def find_adoptable(session: Session, claim: Claim, records: list[SentRecord]) -> SentRecord | None:
    """The provider's message that an earlier attempt of this row created, if any.

    Same recipient (the provider filtered on it), same body or template, and not a message
    another row already owns (the same text may go to a citizen twice).
    """
    wanted = [r for r in records if _same_content(claim.request, r)]
    if not wanted:
        return None
    owned = set(
        session.scalars(
            select(Message.provider_message_id).where(
                Message.provider == claim.provider,
                Message.provider_message_id.in_([r.provider_message_id for r in wanted]),
            )
        )
    )
    free = [r for r in wanted if r.provider_message_id not in owned]
    # the earliest: if two attempts both got through, the first one is the one to keep
    free.sort(key=lambda r: r.created_at.timestamp() if r.created_at else float("inf"))
    return free[0] if free else None


def _same_content(request: OutboundRequest, record: SentRecord) -> bool:
    if request.content_sid:
        # Twilio does not echo the template SID; its body is the rendered template
        return record.content_sid in (None, request.content_sid)
    return (record.body or "") == (request.body or "")


def record_sent(session: Session, claim: Claim, result: SendResult | SentRecord) -> None:
    """The provider has the message: keep its id and status."""
    # a status below `queued` (none, Twilio's own "sending") says no more than "accepted"
    status = result.status if STATUS_RANK.get(result.status or "", 0) >= 2 else "queued"
    at = clock.now()
    session.execute(
        update(_table)
        .where(_table.c.id == claim.message_id, _table.c.status == "sending")
        .values(
            provider_message_id=result.provider_message_id,
            status=status,
            sent_at=at,
            updated_at=at,
            error_code=None,
            error_message=None,
        )
    )


def record_error(session: Session, claim: Claim, error: SendError, *, status: str) -> None:
    """Keep the provider's error on the row and set its status (pending, sending or failed)."""
    session.execute(
        update(_table)
        .where(_table.c.id == claim.message_id, _table.c.status == "sending")
        .values(
            status=status,
            error_code=error.code[:16],
            error_message=error.message[:300],
            updated_at=clock.now(),
        )
    )


def next_unsent_to(session: Session, claim: Claim) -> int | None:
    """The oldest message still pending to the same citizen from the same sender."""
    return session.scalar(
        select(Message.id)
        .where(
            Message.direction == "out",
            Message.status == "pending",
            Message.provider == claim.provider,
            Message.sender == claim.request.sender,
            Message.recipient == claim.request.recipient,
            Message.id > claim.message_id,
        )
        .order_by(Message.id)
        .limit(1)
    )


def claim_stale(session: Session, *, older_than: timedelta, limit: int = 500) -> list[int]:
    """Outbound rows nobody has touched for a while (a lost task, a killed worker), oldest
    first. Touching them in the same statement keeps a second beat, or the next sweep, from
    enqueuing them again before their task has had its chance."""
    at = clock.now()
    stale = (
        select(_table.c.id)
        .where(
            _table.c.direction == "out",
            _table.c.status.in_(OPEN_STATUSES),
            _table.c.updated_at < at - older_than,
        )
        .order_by(_table.c.updated_at, _table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    ids = session.scalars(
        update(_table).where(_table.c.id.in_(stale)).values(updated_at=at).returning(_table.c.id)
    ).all()
    return sorted(ids)
