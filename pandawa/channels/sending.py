"""The send attempt's bookkeeping: the steps `channels.send_message` commits between.

Sending is idempotent: a row is claimed under a row lock, marked `sending` before the provider
is called, and a row left in `sending` is looked up at the provider before it is sent again.
Nothing here commits (the task does). The rows themselves are queued by `channels.outbox`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pandawa.channels.media_links import outbound_media_urls
from pandawa.channels.models import STATUS_RANK, Message
from pandawa.channels.outbox import OPEN_STATUSES
from pandawa.channels.pacing import Slot
from pandawa.channels.providers import (
    SERVICE_FIELD,
    OutboundRequest,
    SendError,
    SendResult,
    SentRecord,
)
from pandawa.channels.status import apply_early
from pandawa.core import clock
from pandawa.core.config import current_settings

ADOPT_MARGIN = timedelta(seconds=5)  # clock skew between us and the provider
MAX_PACING_SLEEP = 1.0  # a worker sleeps up to this long for its send slot; longer: retry then
LOCKED_DEFER = 1.0  # a row locked by someone else (a merge, another attempt): ask again soon

_table = Message.__table__


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
            service_id=_service_of(session, row),
            # signed now, for this attempt: a held or retried file gets a fresh link
            media_urls=outbound_media_urls(current_settings(), row.id, row.media)
            if row.media
            else (),
            media_types=tuple(_item(m, "content_type") for m in row.media or ()),
            media_names=tuple(_item(m, "filename") or None for m in row.media or ()),
        ),
    )


def _item(item: object, key: str) -> str:
    return str(item.get(key) or "") if isinstance(item, dict) else ""


def _service_of(session: Session, row: Message) -> str | None:
    """The sender pool (Twilio Messaging Service) the citizen's latest message to this number
    came through; None when it came to the number itself. Asked at send time, so a deployment
    that moves its number into a pool, or out of one, is followed from the next message on."""
    service = session.scalar(
        select(Message.extra[SERVICE_FIELD].as_string())
        .where(
            Message.direction == "in",
            Message.sender == row.recipient,
            Message.recipient == row.sender,
            Message.provider == row.provider,
        )
        # ix_message_inbound_recent, read backwards: one row
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    return service or None


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
    # a status report that came before this commit of the id was kept: apply it now
    apply_early(session, claim.provider, result.provider_message_id)


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
