"""The "Urungkan / Undo" offer the console shows after a resolution, on whichever console page
the agent lands: kept in the agent's session with its deadline. It only offers; whether the
resolution may still be undone is the ticket layer's answer (tickets/undo.py) when posted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import session

from pandawa.core.clock import as_utc, now, parse_utc

SESSION_KEY = "resolve_undo"


def offer_undo(number: str, seconds: int) -> None:
    if seconds > 0:
        until = now() + timedelta(seconds=seconds)
        session[SESSION_KEY] = {"number": number, "until": until.isoformat()}


def withdraw_undo(number: str) -> None:
    if (session.get(SESSION_KEY) or {}).get("number") == number:
        session.pop(SESSION_KEY, None)


def undo_offer() -> dict[str, Any]:
    """`undo_offer` for the templates: {"number", "seconds" left} or None (expired: forgotten)."""
    offer = session.get(SESSION_KEY)
    if not offer:
        return {"undo_offer": None}
    until = parse_utc(offer.get("until"))
    left = (as_utc(until) - now()).total_seconds() if until else 0
    if left <= 0:
        session.pop(SESSION_KEY, None)
        return {"undo_offer": None}
    return {"undo_offer": {"number": offer.get("number", ""), "seconds": max(1, round(left))}}
