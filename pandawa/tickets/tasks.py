"""Beat tasks of the ticket layer. Each is the transaction boundary (commits per batch)."""

from __future__ import annotations

from celery import shared_task

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.tickets import assign, closure, idle, release, returns, surge_rule, undo


@shared_task(name="tickets.release_deferred", acks_late=True)
def release_deferred() -> int:
    """At opening (and on every run while open, so a beat that was down catches up)."""
    try:
        return release.release_due(db.session, now())
    finally:
        db.session.rollback()


@shared_task(name="tickets.notify_closing", acks_late=True)
def notify_closing() -> int:
    try:
        return release.notify_closing(db.session, now())
    finally:
        db.session.rollback()


@shared_task(name="tickets.close_idle", acks_late=True)
def close_idle() -> int:
    """Resolve tickets whose citizen stopped answering the agent (commits per batch)."""
    try:
        return idle.close_idle(db.session, now())
    finally:
        db.session.rollback()


@shared_task(name="tickets.auto_assign", acks_late=True)
def auto_assign() -> int:
    """Waiting tickets of auto-assign queues to online agents (one transaction)."""
    try:
        count = assign.assign_waiting(db.session, now())
        db.session.commit()
        return count
    finally:
        db.session.rollback()


@shared_task(name="tickets.return_abandoned", acks_late=True)
def return_abandoned() -> int:
    """Held tickets of agents gone offline, or left unanswered, back to their queues."""
    try:
        count = returns.return_abandoned(db.session, now())
        db.session.commit()
        return count
    finally:
        db.session.rollback()


@shared_task(name="tickets.announce_resolved", acks_late=True)
def announce_resolved(ticket_id: int, resolved_at: str) -> bool:
    """The closing message and rating question of a console resolution, once its undo period
    is over (published with that countdown); nothing when it was undone. Idempotent."""
    try:
        told = undo.announce_resolved(db.session, ticket_id, resolved_at)
        db.session.commit()
        return told
    finally:
        db.session.rollback()


@shared_task(name="tickets.tell_calendar_change", acks_late=True)
def tell_calendar_change(override_id: int, action: str, at: str, notices: list) -> int:
    """Issue 17: the citizens whose time an emergency closure, extra opening or undo changed
    hear the new time (commits per batch; once per ticket, so safe to run twice)."""
    try:
        return closure.tell_citizens(db.session, override_id, action, at, notices)
    finally:
        db.session.rollback()


@shared_task(name="tickets.surge", acks_late=True)
def surge() -> int:
    """Surge mode (issue 17): the threshold rule switches queues on or off, then the capped
    live queues are topped up from their deferred tickets, oldest first. Idempotent."""
    try:
        switched = surge_rule.apply_rule(db.session, now())
        db.session.commit()
        return switched + surge_rule.top_up(db.session, now())
    finally:
        db.session.rollback()
