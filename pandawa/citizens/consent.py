"""What a citizen agreed to receive: opt-out (`berhenti`/`stop`) and back in (`mulai`/`start`),
and numbers blocked by staff. Plain reads and writes on the contact row; the caller commits.

Opted out: no notification or template that is not an answer to them (queue notices, release
at opening, closing and rating requests, transfer notices, reopening templates). The bot's
replies and an agent's replies on their ticket still go: those answer them.
Blocked: their messages are stored and nothing at all is sent or queued for them.
"""

from __future__ import annotations

from datetime import datetime

from pandawa.citizens.models import Contact
from pandawa.core.clock import as_utc

MAX_REASON = 500


def is_opted_out(contact: Contact) -> bool:
    out = as_utc(contact.opted_out_at)
    back = as_utc(contact.opted_in_at)
    return out is not None and (back is None or back < out)


def is_blocked(contact: Contact) -> bool:
    return contact.blocked_at is not None


def takes_notifications(contact: Contact) -> bool:
    """Whether anything the citizen did not ask for may be sent to them."""
    return not is_opted_out(contact) and not is_blocked(contact)


def opt_out(contact: Contact, method: str, at: datetime) -> bool:
    """Record the opt-out; False when the citizen was opted out already (nothing changes)."""
    if is_opted_out(contact):
        return False
    contact.opted_out_at = at
    contact.opt_out_method = method[:32]
    return True


def opt_in(contact: Contact, method: str, at: datetime) -> bool:
    """Undo an opt-out; False when the citizen was not opted out (nothing changes)."""
    if not is_opted_out(contact):
        return False
    contact.opted_in_at = at
    contact.opt_in_method = method[:32]
    return True


def block(contact: Contact, reason: str, by_id: int | None, at: datetime) -> bool:
    """Block the number; False when it is blocked already (the first reason stands)."""
    if is_blocked(contact):
        return False
    contact.blocked_at = at
    contact.blocked_reason = reason[:MAX_REASON]
    contact.blocked_by_id = by_id
    return True


def unblock(contact: Contact) -> bool:
    """Lift the block; False when the number was not blocked. (The audit keeps who and why.)"""
    if not is_blocked(contact):
        return False
    contact.blocked_at = None
    contact.blocked_reason = None
    contact.blocked_by_id = None
    return True
