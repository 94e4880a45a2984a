"""The outbox: a `Message` row first, then a send task; the steps the send task commits between.

A body longer than one WhatsApp message through Twilio (1,600 characters) is split into parts
at the most natural boundary that fits. Every step here adds/updates and flushes; the caller
(a view, a task) commits. Sending is idempotent: a row is claimed under a row lock, marked
`sending` before the provider is called, and a row left in `sending` is looked up at the
provider before it is sent again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pandawa import clock
from pandawa.channels.models import STATUS_RANK, Message
from pandawa.channels.providers import OutboundRequest, SendError, SendResult, SentRecord
from pandawa.jobs import enqueue_after_commit

SEND_TASK = "channels.send_message"
MAX_BODY = 1600  # Twilio's limit for one message body, counted in UTF-16 code units
ADOPT_MARGIN = timedelta(seconds=5)  # clock skew between us and the provider
OPEN_STATUSES = ("pending", "sending")

_table = Message.__table__
# a sentence ends with . ! ? … (optionally followed by closing quotes/brackets) and a space
_SENTENCE_END = re.compile(r"[.!?…]['\")\]’”]*(?=\s)")


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
) -> list[Message]:
    """Add one pending outbound row per part and send each after the commit, in order.

    A template (`content_sid`) is one message; `body` then is only what the console shows.
    """
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
            extra={},
            content_sid=content_sid or None,
            content_variables=content_variables if content_sid else None,
            status="pending",
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
    for row in rows:
        enqueue_after_commit(session, SEND_TASK, row.id)
    return rows


def split_body(text: str, limit: int = MAX_BODY) -> list[str]:
    """Split at paragraph, then line, then sentence, then word boundaries; mid-word only for a
    word longer than the limit. Whitespace at the cuts is dropped; no part is empty."""
    if _units(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if _units(rest) <= limit:
            parts.append(rest)
            break
        cut = _cut_at(rest, _fit(rest, limit))
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The longest prefix (in code points) that is at most `limit` UTF-16 units."""
    n = min(len(text), limit)
    units = _units(text[:n])
    while units > limit:
        n -= max((units - limit) // 2, 1)  # never removes more than the excess
        units = _units(text[:n])
    return n


def _cut_at(text: str, fit: int) -> int:
    """Where to cut `text` (stripped, longer than fit) so that text[:cut] fits."""
    window = text[: fit + 1]  # a boundary right after the last fitting character counts
    floor = fit // 2  # a natural boundary, but not one that leaves a tiny part
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator, 0, fit)
        if at > floor:
            return at
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= fit]
    if sentence_ends and sentence_ends[-1] > floor:
        return sentence_ends[-1]
    spaces = [i for i in range(min(fit, len(window) - 1), 0, -1) if window[i].isspace()]
    if spaces:
        return spaces[0]
    return fit  # one word longer than a whole message


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


@dataclass(frozen=True)
class Defer:
    """Not now: try again in `seconds` (another attempt is in flight, or an older message to
    the same citizen is still unsent)."""

    seconds: float
    reason: str
    grows: bool = False  # wait longer on each repeat (waiting for another message)


def claim_for_send(session: Session, message_id: int, *, lease: timedelta) -> Claim | Defer | None:
    """Lock the row and mark it `sending`; None when there is nothing to do.

    `lease` is how long a provider call can take: a row in `sending` younger than that may
    be in another worker's hands right now, so it is left alone.
    """
    row = session.scalars(
        select(Message).where(Message.id == message_id).with_for_update(skip_locked=True)
    ).one_or_none()
    if row is None or row.direction != "out" or row.status not in OPEN_STATUSES:
        return None  # locked by another attempt, already sent or failed, or gone
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
        .limit(1)
    )
    if older is not None:
        row.updated_at = at  # keeps the sweeper off this row while it waits its turn
        session.flush()
        return Defer(2.0, "older message first", grows=True)
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
        request=OutboundRequest(
            sender=row.sender,
            recipient=row.recipient,
            body=None if row.content_sid else row.body,
            content_sid=row.content_sid,
            content_variables=row.content_variables,
        ),
    )


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
