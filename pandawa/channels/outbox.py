"""The outbox: a `Message` row first, then a send task (whose steps are in `channels.sending`).

A body longer than one WhatsApp message (Twilio 1,600 characters, Meta 4,096) is split into parts
at the most natural boundary that fits. Every step here adds/updates and flushes; the caller
(a view, a task) commits.

Besides plain rows: `held` rows (an agent's text written while the 24-hour window is shut)
wait, unsent and outside the send order, until `release_held` when the citizen writes;
notifications to a citizen that are still waiting are merged into one message; templates go
as a Content API SID and variables, their rendered text kept only for the console.
Notifications and templates (never replies) are first offered to `signals.notification_due`,
where the layers that know the citizen may silence them (opt-out, blocked numbers).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pandawa.channels.models import Message
from pandawa.channels.signals import notification_due
from pandawa.channels.split import MAX_BODY as MAX_BODY
from pandawa.channels.split import body_limit, split_body, utf16_units
from pandawa.core import clock
from pandawa.core.jobs import enqueue_after_commit

SEND_TASK = "channels.send_message"
OPEN_STATUSES = ("pending", "sending")
HELD = "held"  # written outside the 24-hour window: not sent until the citizen writes
NOTIFICATION = "notification"  # extra["kind"] of a system notification (mergeable)
MERGE_SEPARATOR = "\n\n"


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
    media: list[dict] | None = None,
    message_type: str = "text",
) -> list[Message]:
    """Add one pending outbound row per part and send each after the commit, in order.

    A template (`content_sid`) is one message; `body` then is only what the console shows.
    With `hold` (the 24-hour window is shut) the rows are `held` and nothing is sent until
    `release_held`. With `media` (stored items, `channels.attachments`) it is one message
    carrying the files, `body` its caption (may be empty).
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
        media=media,
        message_type=message_type,
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
    media: list[dict] | None = None,
    message_type: str = "text",
) -> list[Message]:
    if content_sid or media:
        parts = [body or ""]
    elif body and body.strip():
        parts = split_body(body, body_limit(provider))
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
            message_type=message_type if media else "text",
            media=list(media or []),
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
) -> Message | None:
    """A system notification (no author, no template) to a citizen; returns its row, or None
    when a receiver of `signals.notification_due` silenced it (the citizen opted out).

    Several notifications due to one citizen at once become one message: while the newest
    unsent message to that citizen from this sender is a notification nobody has picked up
    (still `pending`, not locked by a send attempt) and the joined text fits one message,
    the new text is appended to it. Only the newest, so the merge never moves a text ahead
    of a message queued before it.
    """
    if not body or not body.strip():
        raise ValueError("a notification needs a body")
    if _silenced(session, provider, recipient, conversation_id):
        return None
    row = _mergeable_notification(session, provider, sender, recipient, conversation_id)
    if row is not None and utf16_units(row.body + MERGE_SEPARATOR + body) <= body_limit(provider):
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
) -> Message | None:
    """An approved template (Twilio Content API: ContentSid + ContentVariables, no Body), the
    one kind of message allowed outside the 24-hour window. `body_preview` (the template's
    text with the variables filled in) is stored as the row's body for the console only.
    None when a receiver of `signals.notification_due` silenced it."""
    if not content_sid:
        raise ValueError("a template needs its content_sid")
    if _silenced(session, provider, recipient, conversation_id):
        return None
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


def _silenced(session: Session, provider: str, recipient: str, conversation_id: int | None) -> bool:
    """Whether a higher layer refuses this unsolicited message (opt-out, a blocked number)."""
    answers = notification_due.send(
        session, provider=provider, recipient=recipient, conversation_id=conversation_id
    )
    return any(answer is True for _receiver, answer in answers)
