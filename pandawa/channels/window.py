"""WhatsApp's 24-hour customer-service window, as plain arithmetic.

Free-form messages may reach a citizen only within 24 hours of the citizen's own last message.
Only an inbound message opens the window: callers pass the time of the citizen's last message,
never the time of something we sent (a template does not reopen it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pandawa.core.clock import as_utc

WINDOW = timedelta(hours=24)


def window_closes_at(last_inbound_at: datetime | None) -> datetime | None:
    """When the window closes; None when the citizen never wrote (it was never open)."""
    last = as_utc(last_inbound_at)  # SQLite hands back naive UTC
    return None if last is None else last + WINDOW


def window_is_open(last_inbound_at: datetime | None, at: datetime) -> bool:
    """Whether a free-form message may be sent at `at`: open while at < last + 24 h."""
    closes = window_closes_at(last_inbound_at)
    return closes is not None and as_utc(at) < closes
