"""Channel tasks: send one outbound message; sweep the outbox for rows whose task was lost;
fetch the media of an inbound message (`channels.media`) and sweep for fetches never published.

`send_message` commits twice around the provider call, never holding a transaction (or a row
lock) open across the network: claim (mark `sending`) → commit → call the provider → record
the outcome → commit. A row left in `sending` (a timeout, a killed worker) is looked up at the
provider before it is sent again, so a retry never sends a citizen the same message twice.

Order: a message waits while an older one to the same citizen from the same sender is still
pending or sending (it re-queues itself a few seconds later), so split parts and consecutive
replies arrive in id order. The sweeper keeps the older one moving if its task was lost.

Pacing: every send takes a slot of its sender number's shared schedule (`pacing`) before the
row is marked `sending`. A slot at most a second away is slept out in the worker; a later one
sends the task back to the broker with that slot (`slot_at`), due just before it (the rest is
slept out then): the worker is not held, the row stays `pending`, no attempt is counted. A
slot missed by more than LATE_GRACE (the worker was down or swamped) is given up and a new one
taken, so a backlog of late tasks never goes out in a burst.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from celery import shared_task
from redis.exceptions import RedisError

from pandawa.channels import media, meta_media, pacing, status
from pandawa.channels.models import Message
from pandawa.channels.outbox import SEND_TASK
from pandawa.channels.providers import (
    PermanentSendError,
    Provider,
    SendError,
    TransientSendError,
)
from pandawa.channels.registry import get_provider
from pandawa.channels.sending import (
    Claim,
    Defer,
    claim_for_send,
    claim_stale,
    find_adoptable,
    next_unsent_to,
    record_error,
    record_sent,
)
from pandawa.core import live, metrics
from pandawa.core.config import Settings, current_settings
from pandawa.core.extensions import db
from pandawa.core.jobs import enqueue_after_commit

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # provider calls per message, across retries and sweeps
MAX_BACKOFF = 300.0  # seconds between attempts, unless the provider asks for more
MAX_RETRY_AFTER = 3000.0  # below the broker's visibility timeout (3600 s)
MAX_DEFER = 60.0  # a message waiting for an older one asks again at least this often
LATE_GRACE = 1.0  # a pacing slot missed by longer than this is given up for a new one
# a send about to leave later than this after its slot (a slow commit, a busy CPU) takes the
# next free slot instead: leaving late would crowd the sends that keep theirs
LATE_TOLERANCE = 0.01
# a task sent back for a later slot is due this long before it, then sleeps out the rest: a
# sleep ends on time, a broker delivery plus a claim can be late by a few milliseconds
PACING_LEAD = 0.5
# every send leaves this long after its slot: room for the claim's commit, so a send whose slot
# is "now" leaves as punctually after it as one that slept (never closer to the next one)
SLOT_ALLOWANCE = 0.01
PACING_DOWN_RETRY = 5.0  # Redis (the shared schedule) unreachable: try again after this
SWEEP_BATCH = 500
EARLY_STATUS_KEEP = timedelta(days=1)  # reports for ids no send recorded (status.py)
MEDIA_MAX_RETRIES = 5
MEDIA_BACKOFF = 30.0  # seconds before the first retry of a media fetch; doubles each time
# the sweep leaves alone what a fetch task may still be retrying (30+60+…+480 s ≈ 16 min)
MEDIA_SWEEP_AFTER = timedelta(minutes=30)
MEDIA_SWEEP_WITHIN = timedelta(days=2)


@shared_task(name=SEND_TASK, bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_message(self, message_id: int, slot_at: float | None = None) -> str:
    """Send one outbound row. `slot_at`: the pacing slot an earlier run reserved for it."""
    settings: Settings = current_settings()
    session = db.session
    # how long one provider call can last; a `sending` row younger than this is left alone
    lease = timedelta(seconds=2 * settings.twilio_timeout_seconds + 10)
    # first, so a process's first send pays for importing the provider library before it
    # takes its slot, not after (it would leave late, too close to the next one)
    provider = get_provider(settings)

    try:
        claim = claim_for_send(session, message_id, lease=lease, pace=_pace(slot_at))
        session.commit()
    except RedisError:
        session.rollback()
        log.warning("message %s: pacing schedule unreachable (Redis); retrying", message_id)
        raise self.retry(countdown=PACING_DOWN_RETRY, kwargs={}) from None
    except Exception:
        session.rollback()
        raise
    if claim is None:
        return "skipped"
    if isinstance(claim, Defer):
        # waiting longer each time, so a queue of parts behind a rate-limited one stays calm
        countdown = claim.seconds
        if claim.grows:  # the message before it kicks it when sent; this is the fallback
            countdown = min(countdown * (1 + self.request.retries), MAX_DEFER)
        log.info("message %s deferred %.1fs: %s", message_id, countdown, claim.reason)
        kwargs = {}
        if claim.slot_at is not None:
            kwargs = {"slot_at": claim.slot_at}
            countdown = max(countdown - PACING_LEAD, 0.0)
        raise self.retry(countdown=countdown, kwargs=kwargs)
    if claim.slot is not None:
        # under a second away: not worth a retry. Sleep until the slot itself (plus the fixed
        # allowance), not for `wait` from now: the commit's duration must not shift the send
        time.sleep(max(claim.slot.due + SLOT_ALLOWANCE - time.monotonic(), 0.0))
        if time.monotonic() > claim.slot.due + SLOT_ALLOWANCE + LATE_TOLERANCE:
            try:
                slot = pacing.reserve_slot(claim.request.sender)
            except RedisError:  # no shared schedule now: leave late rather than not at all
                slot = None
            if slot is not None:
                time.sleep(max(slot.due + SLOT_ALLOWANCE - time.monotonic(), 0.0))

    if claim.provider != provider.name:  # the message's own provider, when enabled
        provider = get_provider(settings, claim.provider)
    if provider.name != claim.provider:
        error = PermanentSendError("provider", f"provider {claim.provider} is not configured")
        return _fail(claim, error)
    try:
        outcome = _deliver(provider, claim, settings)
    except PermanentSendError as error:
        return _fail(claim, error)
    except TransientSendError as error:
        if claim.attempts >= MAX_ATTEMPTS:
            return _fail(claim, error)
        # maybe at the provider already: stay `sending`, so the next attempt looks first
        record_error(session, claim, error, status="sending" if error.maybe_sent else "pending")
        session.commit()
        countdown = _backoff(claim.attempts, error.retry_after)
        if error.maybe_sent:
            countdown = max(countdown, lease.total_seconds())
        metrics.MESSAGES_OUT.labels(status="retry").inc()
        log.warning(
            "message %s: provider error %s (attempt %s); retrying in %.0fs",
            message_id,
            error.code,
            claim.attempts,
            countdown,
        )
        raise self.retry(countdown=countdown, kwargs={}) from None
    metrics.MESSAGES_OUT.labels(status=outcome).inc()
    _kick_next(claim)
    return outcome


def _kick_next(claim: Claim) -> None:
    """The next unsent message to the same citizen waited for this one: start it now rather
    than when its deferred retry comes round (a bot turn or a burst of notifications then
    drains at the pacing rate, not at the retry backoff)."""
    next_id = next_unsent_to(db.session, claim)
    if next_id is not None:
        enqueue_after_commit(db.session, SEND_TASK, next_id)
        db.session.commit()
    else:
        db.session.rollback()


def _pace(slot_at: float | None) -> Callable[[str], pacing.Slot]:
    """Reserve the sender's next slot, or keep the one an earlier run reserved while it is
    still due (a little late is fine; later than LATE_GRACE, it is gone)."""

    def pace(sender: str) -> pacing.Slot:
        if slot_at is not None:
            slot = pacing.held_slot(slot_at)
            if -LATE_GRACE <= slot.wait <= MAX_RETRY_AFTER:  # beyond: not a slot of this clock
                return slot
        return pacing.reserve_slot(sender)

    return pace


def _deliver(provider: Provider, claim: Claim, settings: Settings) -> str:
    session = db.session
    if claim.check_since is not None:
        try:
            records = provider.find_recent(
                claim.request.recipient, claim.request.sender, claim.check_since
            )
        except SendError as error:  # cannot look: stay `sending` and look again next time
            raise TransientSendError(error.code, error.message, maybe_sent=True) from None
        found = find_adoptable(session, claim, records)
        if found is not None:
            record_sent(session, claim, found)
            live.status_after_commit(session, message_id=claim.message_id)
            session.commit()
            log.info(
                "message %s: adopted the provider's copy from an earlier attempt", claim.message_id
            )
            return "adopted"
        session.rollback()  # end the read: no transaction stays open across the send
    callback = settings.public_base_url + "/webhooks/twilio/status"
    result = provider.send(replace(claim.request, status_callback=callback))
    record_sent(session, claim, result)
    live.status_after_commit(session, message_id=claim.message_id)
    session.commit()
    return result.status


def _fail(claim: Claim, error: SendError) -> str:
    record_error(db.session, claim, error, status="failed")
    live.status_after_commit(db.session, message_id=claim.message_id)
    db.session.commit()
    metrics.MESSAGES_OUT.labels(status="failed").inc()
    log.warning("message %s failed: provider error %s", claim.message_id, error.code)
    return "failed"


def _backoff(attempts: int, retry_after: float | None) -> float:
    countdown = min(2.0 ** max(attempts, 1), MAX_BACKOFF)
    if retry_after:
        countdown = max(countdown, min(retry_after, MAX_RETRY_AFTER))
    return countdown


@shared_task(name="channels.sweep_outbox", bind=True, acks_late=True, ignore_result=True)
def sweep_outbox(self) -> int:
    """Re-enqueue outbound rows left pending or sending for longer than PANDAWA_SWEEP_AFTER
    seconds. Safe on two beats at once: each stale row is claimed by one sweep (SKIP LOCKED)
    and a doubled send task is harmless anyway."""
    settings: Settings = current_settings()
    session = db.session
    try:
        ids = claim_stale(
            session, older_than=timedelta(seconds=settings.sweep_after_seconds), limit=SWEEP_BATCH
        )
        for message_id in ids:
            enqueue_after_commit(session, SEND_TASK, message_id)
        status.prune_early(session, older_than=EARLY_STATUS_KEEP)
        session.commit()
    except Exception:
        session.rollback()
        raise
    if ids:
        log.info("outbox sweep: re-enqueued %s messages", len(ids))
    return len(ids)


@shared_task(
    name=media.FETCH_MEDIA_TASK,
    bind=True,
    acks_late=True,
    max_retries=MEDIA_MAX_RETRIES,
    ignore_result=True,
)
def fetch_media(self, message_id: int) -> str:
    """Fetch and store the media of one inbound message (see `channels.media`).

    Idempotent: only items without a status are fetched, and the results are merged under
    the row lock. No transaction is open across the network. The conversation never waits
    for this: the bot handles the message on its own.
    """
    settings: Settings = current_settings()
    session = db.session
    message = session.get(Message, message_id)
    if (
        message is None
        or message.direction != "in"
        or not media.fetches_for(settings, message.provider)
    ):
        session.rollback()
        return "skipped"
    items = [dict(item) if isinstance(item, dict) else item for item in message.media or []]
    message_provider = message.provider
    session.rollback()  # end the read before any request goes out
    if not media.pending_indexes(items):
        return "done"

    with media.http_session() as http:
        fetch = meta_media.fetch_item if message_provider == "meta" else None
        run = media.fetch_pending(items, settings, http, fetch)
    retrying = run.transient is not None and self.request.retries < MEDIA_MAX_RETRIES
    if run.transient is not None and not retrying:
        media.give_up(items, run, f"gave up after {self.request.retries + 1} tries")
    try:
        media.record_results(session, message_id, run)
        session.commit()
    except Exception:
        session.rollback()
        raise
    if retrying:
        countdown = min(MEDIA_BACKOFF * 2**self.request.retries, MAX_RETRY_AFTER)
        log.warning(
            "message %s: media fetch failed (%s); retrying in %.0fs",
            message_id,
            run.transient,
            countdown,
        )
        raise self.retry(countdown=countdown)
    return "done"


@shared_task(name="channels.sweep_media", acks_late=True, ignore_result=True)
def sweep_media() -> int:
    """Re-enqueue media fetches whose task was lost (a broker that lost its queue)."""
    settings: Settings = current_settings()
    if not media.FETCHING_PROVIDERS & settings.enabled_providers:
        return 0
    ids = media.stale_media_ids(
        db.session, older_than=MEDIA_SWEEP_AFTER, within=MEDIA_SWEEP_WITHIN, limit=SWEEP_BATCH
    )
    for message_id in ids:
        enqueue_after_commit(db.session, media.FETCH_MEDIA_TASK, message_id)
    db.session.commit()
    if ids:
        log.warning("media sweep: re-enqueued %s messages", len(ids))
    return len(ids)
