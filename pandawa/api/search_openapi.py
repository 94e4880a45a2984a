"""The search parameters of GET /api/v1/tickets in the OpenAPI document (pandawa/api/search.py
serves them): any of q, field, from, to makes the list a search."""

from __future__ import annotations

from typing import Any

SEARCH_PARAMS: list[dict[str, Any]] = [
    {
        "name": "q",
        "in": "query",
        "schema": {"type": "string", "minLength": 3, "maxLength": 100},
        "description": "search: a ticket number or part of one, part of a phone number (e.g. "
        "its last 4 digits; 0812… and +62 812… alike), part of the citizen's name, or words of "
        "the ticket's messages (whole words, all in one message; `word*` a prefix). With q, "
        "field, from or to the list is a search: every status unless `status` is given, "
        "newest first, `next_cursor` leading to older tickets. Numbers come masked as always",
    },
    {
        "name": "field",
        "in": "query",
        "schema": {
            "type": "string",
            "enum": ["all", "number", "phone", "name", "text"],
            "default": "all",
        },
        "description": "where q is looked for; `all`: digits alone → phone or ticket number, "
        "a ticket number → number, otherwise name or message words",
    },
    {
        "name": "from",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "search: tickets created on or after this day (Asia/Jakarta)",
    },
    {
        "name": "to",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "search: tickets created on or before this day (Asia/Jakarta)",
    },
]
