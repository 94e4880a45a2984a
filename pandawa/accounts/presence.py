"""Agent presence: online / away / offline, and the last time an agent was seen.

The chosen state is a column of the user (every web process and machine agrees);
`last_seen_at` is written at most once a minute, from `pandawa.core.clock`.
"""

from __future__ import annotations

from datetime import timedelta

from pandawa.accounts.models import User
from pandawa.core.clock import now

STATES = ("online", "away", "offline")
TOUCH_INTERVAL = timedelta(minutes=1)


def get_presence(user: User) -> str:
    return user.presence if user.presence in STATES else "offline"


def set_presence(user: User, state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown presence {state!r}")
    user.presence = state


def touch(user: User) -> bool:
    """Record that the user is active now; True when a write is left for the caller to commit."""
    at = now()
    if user.last_seen_at is not None and at - user.last_seen_at < TOUCH_INTERVAL:
        return False
    user.last_seen_at = at
    return True
