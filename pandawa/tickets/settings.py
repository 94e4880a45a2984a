"""Writes of the queue settings page (issue 17): a queue's SLA targets, automatic assignment
and idle-return minutes, and an agent's capacity. Each change is audited with its old and new
values in the same transaction; add and flush, the view commits.

Values are checked here too (the page checks them first, with bilingual messages): a bad value
raises `SettingsError` and nothing is written.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.audit.operations import record
from pandawa.tickets.models import Queue

# (low, high) of each editable value: minutes, or tickets at once for capacity
LIMITS: dict[str, tuple[int, int]] = {
    "sla_minutes": (1, 7 * 24 * 60),
    "resolution_minutes": (1, 366 * 24 * 60),
    "idle_return_minutes": (1, 24 * 60),
    "capacity": (1, 50),
    # surge mode's cap on the tickets waiting live (tickets/surge.py); empty: no cap
    "live_capacity": (1, 100_000),
}

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
EMAIL_MAX = 254
E164 = re.compile(r"\+[1-9]\d{7,14}")


class SettingsError(ValueError):
    """A value out of its range; `field` names it."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(field)


def _check(field: str, value: int | None) -> None:
    if value is None and field in ("resolution_minutes", "live_capacity"):
        return
    low, high = LIMITS[field]
    if value is None or not low <= value <= high:
        raise SettingsError(field)


def queue_values(queue: Queue) -> dict[str, Any]:
    """The page's view of a queue's settings (minutes, as people set them)."""
    return {
        "sla_minutes": queue.sla_seconds // 60,
        "resolution_minutes": queue.resolution_seconds // 60 if queue.resolution_seconds else None,
        "is_auto_assign": queue.is_auto_assign,
        "idle_return_minutes": queue.idle_return_minutes,
        "live_capacity": queue.live_capacity,
    }


def update_queue_settings(
    session: Session,
    queue: Queue,
    actor: User,
    new: dict[str, Any],
    at: datetime,
    *,
    address: str = "",
) -> dict[str, tuple[Any, Any]]:
    """Apply `new` (keys of `queue_values`); returns {key: (old, new)} of what changed."""
    new = {"live_capacity": queue.live_capacity, **new}  # a form without the cap keeps it
    for field in ("sla_minutes", "resolution_minutes", "idle_return_minutes", "live_capacity"):
        _check(field, new[field])
    old = queue_values(queue)
    changed = {k: (old[k], new[k]) for k in old if old[k] != new[k]}
    if not changed:
        return {}
    queue.sla_seconds = new["sla_minutes"] * 60
    queue.resolution_seconds = new["resolution_minutes"] * 60 if new["resolution_minutes"] else None
    queue.is_auto_assign = bool(new["is_auto_assign"])
    queue.idle_return_minutes = new["idle_return_minutes"]
    queue.live_capacity = new["live_capacity"]
    queue.settings_edited_at = at
    record(
        session,
        "queue_settings_changed",
        actor_id=actor.id,
        actor_label=actor.email,
        address=address,
        details={"queue": queue.code, "changes": {k: [a, b] for k, (a, b) in changed.items()}},
    )
    session.flush()
    return changed


def set_capacity(
    session: Session, agent: User, capacity: int, actor: User, *, address: str = ""
) -> bool:
    """Set how many tickets `agent` holds at once; audited. False when unchanged."""
    _check("capacity", capacity)
    if agent.capacity == capacity:
        return False
    record(
        session,
        "agent_capacity_changed",
        actor_id=actor.id,
        actor_label=actor.email,
        address=address,
        details={"agent_id": agent.id, "old": agent.capacity, "new": capacity},
    )
    agent.capacity = capacity
    session.flush()
    return True


def set_alert_email(
    session: Session, user: User, address: str | None, *, ip_address: str = ""
) -> bool:
    """Where `user` wants SLA alerts e-mailed (None: nowhere); audited. False when unchanged.
    The address must look like one (something@domain, no spaces, at most 254 characters)."""
    address = (address or "").strip() or None
    if address is not None and (len(address) > EMAIL_MAX or not EMAIL.fullmatch(address)):
        raise SettingsError("alert_email")
    if user.alert_email == address:
        return False
    record(
        session,
        "alert_email_changed",
        actor_id=user.id,
        actor_label=user.email,
        address=ip_address,
        details={"set": address is not None},
    )
    user.alert_email = address
    session.flush()
    return True


def set_alert_whatsapp(
    session: Session, user: User, number: str | None, *, ip_address: str = ""
) -> bool:
    """The E.164 number (`+62…`, the page normalises what was typed) where `user` wants SLA
    alerts on WhatsApp; None: nowhere. Audited without the number. False when unchanged."""
    if number is not None and not E164.fullmatch(number):
        raise SettingsError("alert_whatsapp")
    if user.alert_whatsapp == number:
        return False
    record(
        session,
        "alert_whatsapp_changed",
        actor_id=user.id,
        actor_label=user.email,
        address=ip_address,
        details={"set": number is not None},
    )
    user.alert_whatsapp = number
    session.flush()
    return True
