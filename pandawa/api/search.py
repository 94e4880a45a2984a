"""`GET /api/v1/tickets` with `q`, `field`, `from` or `to`: the ticket search
(pandawa/tickets/search.py) — every status unless `status` says otherwise, newest first,
`next_cursor` pointing at older tickets; the tickets as the list gives them, masked alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pandawa.accounts.models import User
from pandawa.api import serializers
from pandawa.core.extensions import db
from pandawa.tickets import queries
from pandawa.tickets.search import (
    SearchError,
    SearchQuery,
    audit_phone_search,
    day_range,
    search_tickets,
)
from pandawa.web.errors import ApiError

SEARCH_PARAMS = ("q", "field", "from", "to")
_REFUSALS = {
    "too_short": ("q", "at least 3 characters (3 digits for a phone number)"),
    "too_long": ("q", "at most 100 characters"),
    "unknown_field": ("field", "expected all, number, phone, name or text"),
    "unknown_status": ("status", "unknown status"),
}


def is_search(args: Mapping[str, str]) -> bool:
    return any(args.get(name) for name in SEARCH_PARAMS)


def search_json(
    user: User,
    args: Mapping[str, str],
    *,
    statuses: Sequence[str],
    queue_codes: Sequence[str],
    first: date | None,
    last: date | None,
    limit: int,
    address: str,
) -> dict[str, Any]:
    if first and last and first > last:
        raise _bad("from", "from is after to")
    created_from, created_to = day_range(first, last)
    query = SearchQuery(
        text=args.get("q") or "",
        field=args.get("field") or "all",
        statuses=tuple(statuses),
        queue_codes=tuple(queue_codes),
        created_from=created_from,
        created_to=created_to,
    )
    older_than = None
    if args.get("cursor"):
        try:
            older_than = queries.decode_cursor(args["cursor"])
        except ValueError:
            raise ApiError(400, "invalid_cursor", "Kursor tidak valid. / Invalid cursor.") from None
    try:
        page = search_tickets(db.session, user, query, older_than=older_than, limit=limit)
    except SearchError as exc:
        raise _bad(*_REFUSALS.get(exc.code, ("q", exc.code))) from None
    body = {
        "items": [serializers.ticket_json(hit.ticket, hit.contact) for hit in page.hits],
        "next_cursor": queries.encode_cursor(page.older_than) if page.older_than else None,
    }
    if audit_phone_search(db.session, user, query, page, address):
        db.session.commit()
    return body


def _bad(name: str, detail: str) -> ApiError:
    return ApiError(
        400,
        "invalid_parameter",
        f"Parameter {name} tidak valid: {detail}. / Invalid parameter {name}: {detail}.",
    )
