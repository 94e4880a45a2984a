"""The checklist of GET /api/v1/tickets/<number> in the OpenAPI document (issue 17, item 10):
what the citizen answered to each check and which stored file satisfied each document."""

from __future__ import annotations

from typing import Any

CHECKLIST_SCHEMAS: dict[str, Any] = {
    "ChecklistItem": {
        "type": "object",
        "required": ["position", "kind", "text", "text_en", "required", "state"],
        "properties": {
            "position": {"type": "integer", "description": "order in the catalogue's checklist"},
            "kind": {"enum": ["check", "document"]},
            "text": {
                "type": "string",
                "description": "the question or the document's name in Bahasa Indonesia, as "
                "the catalogue worded it when the ticket was opened",
            },
            "text_en": {"type": "string"},
            "required": {"type": "boolean", "description": "documents: may not be skipped"},
            "state": {
                "enum": ["met", "not_met", "received", "skipped"],
                "description": "check: met / not_met (the citizen went on to an agent anyway); "
                "document: received / skipped",
            },
            "answer": {"enum": ["ya", "tidak", None], "description": "checks: the answer"},
            "document": {
                "type": ["object", "null"],
                "description": "documents received: the stored message and its file",
                "properties": {
                    "message_id": {"type": "integer"},
                    "index": {"type": "integer"},
                    "content_type": {"type": ["string", "null"]},
                    "status": {"type": ["string", "null"]},
                    "download_url": {
                        "type": ["string", "null"],
                        "description": "GET it with the token (audited); null until stored",
                    },
                },
            },
        },
    }
}

CHECKLIST_PROPERTY: dict[str, Any] = {
    "type": "array",
    "items": {"$ref": "#/components/schemas/ChecklistItem"},
    "description": "the service's eligibility checklist as the bot walked it ([] without one)",
}
