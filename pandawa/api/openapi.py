"""The OpenAPI 3.1 description of /api/v1, served at GET /api/v1/openapi.json.

Kept next to the views and checked by a test that every API route appears here.
"""

from __future__ import annotations

from typing import Any

from pandawa.api.checklist_openapi import CHECKLIST_PROPERTY, CHECKLIST_SCHEMAS
from pandawa.api.media import media_paths
from pandawa.api.offices_openapi import OFFICE_SCHEMAS, office_paths
from pandawa.api.search_openapi import SEARCH_PARAMS
from pandawa.api.stats_openapi import STATS_SCHEMAS, stats_paths
from pandawa.channels.contract import CONTRACT_STATUSES
from pandawa.tickets.models import TICKET_STATUSES

OUT_STATUSES = list(CONTRACT_STATUSES)  # the contract's, whatever the row holds inside


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/responses/{name}"}


def _object_body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """A required JSON request body: an object with these properties."""
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


DATETIME = {"type": ["string", "null"], "format": "date-time"}
NUMBER_PARAM = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "Ticket number, e.g. PDW-261201-7KQ2MX.",
    "schema": {"type": "string"},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "examples": ["not_holder"]},
                    "message": {"type": "string"},
                },
            }
        },
    },
    "Contact": {
        "type": "object",
        "required": ["id", "name", "address"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": ["string", "null"]},
            "address": {
                "type": "string",
                "description": "masked; the full number: POST /tickets/{number}/reveal (phone)",
                "examples": ["whatsapp:+62812****7890"],
            },
        },
    },
    "Ticket": {
        "type": "object",
        "required": [
            "number",
            "status",
            "queue",
            "office",
            "contact",
            "assignee",
            "created_at",
            "released_at",
            "first_response_at",
            "resolved_at",
            "satisfaction",
        ],
        "properties": {
            "number": {"type": "string", "examples": ["PDW-261201-7KQ2MX"]},
            "status": {"enum": list(TICKET_STATUSES)},
            "queue": {"type": "string", "description": "queue code"},
            "office": {"type": "string", "description": "office code"},
            "contact": _ref("Contact"),
            "assignee": {"type": ["string", "null"], "description": "the holder's email"},
            "created_at": {"type": "string", "format": "date-time"},
            "released_at": {**DATETIME, "description": "entered the queue (null while deferred)"},
            "assigned_at": DATETIME,
            "first_response_at": DATETIME,
            "resolved_at": DATETIME,
            "cancelled_at": DATETIME,
            "satisfaction": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
            "details": {"type": "object", "description": "what the bot collected"},
        },
    },
    "Message": {
        "type": "object",
        "required": ["id", "direction", "body", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "direction": {"enum": ["in", "out"]},
            "body": {
                "type": "string",
                "description": "NIK, KK and phone numbers masked (`3174********0001`); the "
                "full text: POST /tickets/{number}/reveal (message.<id>)",
            },
            "message_type": {"type": "string"},
            "media": {"type": "array", "items": {"type": "object"}},
            "created_at": {"type": "string", "format": "date-time"},
            "author": {"type": ["string", "null"], "description": "agent email; null: citizen/bot"},
            "is_internal_note": {"type": "boolean"},
            "status": {"enum": OUT_STATUSES, "description": "outbound messages only"},
            "error_code": {"type": ["string", "null"], "description": "outbound messages only"},
        },
    },
    "TicketDetail": {
        "allOf": [
            _ref("Ticket"),
            {
                "type": "object",
                "required": ["messages", "window"],
                "properties": {
                    "messages": {"type": "array", "items": _ref("Message")},
                    "window": {
                        "type": "object",
                        "description": "WhatsApp's 24-hour window: free-form replies only while "
                        "open; past it a reply is held and the approved template is sent "
                        "(refused, no_template, when the catalogue has none)",
                        "properties": {
                            "is_open": {"type": "boolean"},
                            "closes_at": {"type": ["string", "null"], "format": "date-time"},
                        },
                    },
                    "wait_seconds": {"type": ["integer", "null"]},
                    "wait_business_seconds": {"type": ["integer", "null"]},
                    "checklist": CHECKLIST_PROPERTY,
                },
            },
        ]
    },
    "Reply": {
        "allOf": [
            _ref("Message"),
            {
                "type": "object",
                "properties": {
                    "parts": {
                        "type": "array",
                        "items": _ref("Message"),
                        "description": "every outbound message the reply became",
                    }
                },
            },
        ]
    },
    "Queue": {
        "type": "object",
        "required": ["code", "name", "waiting", "deferred", "assigned"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string", "description": "Bahasa Indonesia"},
            "name_en": {"type": "string"},
            "sla_seconds": {"type": "integer"},
            "is_auto_assign": {"type": "boolean"},
            "waiting": {"type": "integer"},
            "deferred": {"type": "integer"},
            "assigned": {"type": "integer"},
        },
    },
}


def _all_schemas() -> dict[str, Any]:
    return {**SCHEMAS, **OFFICE_SCHEMAS, **STATS_SCHEMAS, **CHECKLIST_SCHEMAS}


def _list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": _ref(name)},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


def _paths() -> dict[str, Any]:
    return {
        **_ticket_paths(),
        **stats_paths({"401": _error("Unauthorized")}, _json, _list_of, _error),
        **media_paths(_error),
        **office_paths({"401": _error("Unauthorized")}, _json, _list_of, _ref, _error),
    }


def _ticket_paths() -> dict[str, Any]:
    unauthorized = {"401": _error("Unauthorized")}
    ticket_errors = {**unauthorized, "404": _error("NotFound"), "409": _error("Conflict")}
    return {
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
        "/queues": {
            "get": {
                "summary": "My queues (all, for supervisors) with waiting and deferred counts",
                "operationId": "listQueues",
                "responses": {"200": _json(_list_of("Queue"), "queues"), **unauthorized},
            }
        },
        "/tickets": {
            "get": {
                "summary": "Tickets I may see; open ones (deferred, waiting, assigned) by default",
                "operationId": "listTickets",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": f"comma list of {', '.join(TICKET_STATUSES)}",
                    },
                    {
                        "name": "queue",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "queue code (comma list allowed)",
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "next_cursor of the previous page",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    },
                    *SEARCH_PARAMS,
                ],
                "responses": {
                    "200": _json(
                        _list_of("Ticket"),
                        "oldest first; with q, field, from or to: a search, newest first",
                    ),
                    "400": _error("BadRequest"),
                    **unauthorized,
                },
            }
        },
        "/tickets/claim": {
            "post": {
                "summary": "Claim the oldest waiting ticket of my queues",
                "operationId": "claimTicket",
                "responses": {
                    "200": _json(_ref("TicketDetail"), "the ticket, now mine"),
                    "204": {"description": "nothing waits"},
                    **unauthorized,
                },
            }
        },
        "/tickets/{number}": {
            "get": {
                "summary": "A ticket with its messages, oldest first",
                "operationId": "getTicket",
                "parameters": [NUMBER_PARAM],
                "responses": {"200": _json(_ref("TicketDetail"), "the ticket"), **ticket_errors},
            }
        },
        "/tickets/{number}/messages": {
            "post": {
                "summary": "Reply to the citizen (holder, supervisor or admin)",
                "operationId": "replyToTicket",
                "parameters": [NUMBER_PARAM],
                "requestBody": _object_body(
                    ["body"], {"body": {"type": "string", "minLength": 1, "maxLength": 4096}}
                ),
                "responses": {
                    "202": _json(_ref("Reply"), "queued for sending"),
                    "400": _error("BadRequest"),
                    "422": _error("Unprocessable"),
                    **ticket_errors,
                },
            }
        },
        "/tickets/{number}/transfer": {
            "post": {
                "summary": "Move the ticket to another queue, waiting again (holder or supervisor)",
                "operationId": "transferTicket",
                "parameters": [NUMBER_PARAM],
                "requestBody": _object_body(
                    ["queue"],
                    {"queue": {"type": "string"}, "reason": {"type": "string", "maxLength": 500}},
                ),
                "responses": {
                    "200": _json(_ref("Ticket"), "the ticket"),
                    "400": _error("BadRequest"),
                    "422": _error("Unprocessable"),
                    **ticket_errors,
                },
            }
        },
        "/tickets/{number}/reveal": {
            "post": {
                "summary": "Show one masked value in full; recorded in the access audit",
                "description": "Every answer writes one `reveal` audit row (who, ticket, "
                "field, client address). Fields: `phone` (the citizen's WhatsApp number), "
                "`details.<key>` (a collected detail, e.g. `details.nik`), `message.<id>` (a "
                "message's text). Roles in REVEAL_ROLES only (403); tickets out of sight 404. "
                "The answer is never cached (`Cache-Control: no-store`).",
                "operationId": "revealField",
                "parameters": [NUMBER_PARAM],
                "requestBody": _object_body(
                    ["field"],
                    {
                        "field": {
                            "type": "string",
                            "examples": ["phone", "details.nik", "message.42"],
                        }
                    },
                ),
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["field", "value"],
                            "properties": {
                                "field": {"type": "string"},
                                "value": {"type": "string"},
                            },
                        },
                        "the full value",
                    ),
                    "400": _error("BadRequest"),
                    "403": _error("Forbidden"),
                    "422": _error("Unprocessable"),
                    **unauthorized,
                    "404": _error("NotFound"),
                },
            }
        },
        "/tickets/{number}/resolve": {
            "post": {
                "summary": "Resolve the ticket; the citizen gets the closing message",
                "operationId": "resolveTicket",
                "parameters": [NUMBER_PARAM],
                "responses": {"200": _json(_ref("Ticket"), "the ticket"), **ticket_errors},
            }
        },
    }


def openapi_document(public_base_url: str) -> dict[str, Any]:
    error = _json(_ref("Error"), "error")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pandawa API",
            "version": "1",
            "description": "Tickets, queues and figures of the Pandawa WhatsApp service desk. "
            "Agents see only their queues' tickets (others answer 404).",
        },
        "servers": [{"url": f"{public_base_url}/api/v1"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`pandawa tokens create EMAIL`",
                },
            },
            "schemas": _all_schemas(),
            "responses": {
                name: {**error, "description": description}
                for name, description in [
                    ("BadRequest", "malformed JSON or parameter"),
                    ("Unauthorized", "no or invalid bearer token"),
                    ("NotFound", "no such ticket, or not one of my queues'"),
                    ("Conflict", "not_holder, ticket_closed, no_template or contact_blocked"),
                    ("Unprocessable", "invalid_body, unknown_queue"),
                    ("Forbidden", "a supervisor's or admin's action, or a role not allowed"),
                ]
            },
        },
    }
