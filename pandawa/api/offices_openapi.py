"""The offices part of the OpenAPI document (merged by pandawa/api/openapi.py)."""

from __future__ import annotations

from typing import Any

OFFICE_SCHEMAS: dict[str, Any] = {
    "Office": {
        "type": "object",
        "required": [
            "code",
            "name",
            "timezone",
            "zone_abbreviation",
            "is_open_now",
            "next_change_at",
            "next_change_local",
        ],
        "properties": {
            "code": {"type": "string", "examples": ["JKT-PUSAT"]},
            "name": {"type": "string"},
            "timezone": {"type": "string", "examples": ["Asia/Jakarta"]},
            "zone_abbreviation": {"type": "string", "examples": ["WIB", "WITA", "WIT"]},
            "is_open_now": {"type": "boolean"},
            "next_change_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "next closing when open, else next opening (UTC, with offset)",
            },
            "next_change_local": {
                "type": ["string", "null"],
                "examples": ["Senin, 30 November 2026 pukul 08.00 WIB"],
            },
        },
    },
    "OfficeOverride": {
        "allOf": [
            {"$ref": "#/components/schemas/Office"},
            {
                "type": "object",
                "required": ["override"],
                "properties": {
                    "override": {
                        "type": "object",
                        "required": ["kind", "starts_at", "ends_at", "reason", "actor"],
                        "properties": {
                            "kind": {"type": "string", "enum": ["open", "closed"]},
                            "starts_at": {"type": "string", "format": "date-time"},
                            "ends_at": {"type": "string", "format": "date-time"},
                            "reason": {"type": "string"},
                            "actor": {"type": ["string", "null"]},
                        },
                    }
                },
            },
        ]
    },
}


def office_paths(unauthorized, _json, _list_of, _ref, _error) -> dict[str, Any]:
    code_param = {
        "name": "code",
        "in": "path",
        "required": True,
        "description": "Office code, e.g. JKT-PUSAT. An office outside a scoped supervisor's "
        "offices (issue 17) is 404, as if it did not exist.",
        "schema": {"type": "string"},
    }
    body = {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"reason": {"type": "string", "maxLength": 200}},
                }
            }
        },
    }
    manager_errors = {
        "400": _error("BadRequest"),
        **unauthorized,
        "403": _error("Forbidden"),
        "404": _error("NotFound"),
        "422": _error("Unprocessable"),
    }
    return {
        "/offices": {
            "get": {
                "summary": "Offices: open now? and the next opening or closing (a scoped "
                "supervisor: her offices only)",
                "operationId": "listOffices",
                "responses": {"200": _json(_list_of("Office"), "offices"), **unauthorized},
            }
        },
        "/offices/{code}/open-now": {
            "post": {
                "summary": "Open the office now until its usual closing (midnight on a day "
                "off); supervisors and admins",
                "operationId": "openOfficeNow",
                "parameters": [code_param],
                "requestBody": body,
                "responses": {"200": _json(_ref("OfficeOverride"), "the office"), **manager_errors},
            }
        },
        "/offices/{code}/close-now": {
            "post": {
                "summary": "Close the office for the rest of its local day; supervisors and admins",
                "operationId": "closeOfficeNow",
                "parameters": [code_param],
                "requestBody": body,
                "responses": {"200": _json(_ref("OfficeOverride"), "the office"), **manager_errors},
            }
        },
    }
