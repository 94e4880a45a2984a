"""GET /api/v1/tickets/<number>/media/<message_id>/<index>: a stored file of the citizen's.

Routes on the API blueprint (imported by pandawa/api/views.py). Every download is a
`document_view` audit row (the file may be a KTP or KK). The same 404 answers a ticket
the user may not see, a message of another ticket, an item that is not (yet) stored and a file
gone from the disk: nothing about the citizen's files is disclosed beyond the user's sight.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from pandawa.api.blueprint import bp
from pandawa.channels.media_store import STORED_TYPES
from pandawa.core.extensions import db
from pandawa.tickets.queries import get_visible_ticket
from pandawa.web.errors import not_found
from pandawa.web.media import send_stored_media
from pandawa.web.tokens import current_user

MEDIA_ROUTE = "/tickets/<number>/media/<int:message_id>/<int:index>"


def download_url(number: str, message_id: int, index: int) -> str:
    """The path an agent's client fetches a stored item from (relative to the site)."""
    return f"{bp.url_prefix}/tickets/{number}/media/{message_id}/{index}"


@bp.get(MEDIA_ROUTE)
def download_media(number: str, message_id: int, index: int) -> Response:
    user = current_user()
    ticket = get_visible_ticket(number, user)
    if ticket is None:
        raise not_found(f"Tiket {number}", f"Ticket {number}")
    response = send_stored_media(
        ticket, message_id, index, viewer=user, address=request.remote_addr or ""
    )
    if response is None:
        raise not_found("Berkas", "File")
    db.session.commit()  # the document_view audit row
    return response


def media_paths(error: Any) -> dict[str, Any]:
    """The OpenAPI description of the route (merged by pandawa/api/openapi.py)."""
    return {
        "/tickets/{number}/media/{message_id}/{index}": {
            "get": {
                "summary": "A photo or PDF of the conversation (the citizen's, or one an agent "
                "sent), as stored (inline / attachment)",
                "description": "Any such file may show an identity document: every download "
                "is recorded in the access audit (`document_view`).",
                "operationId": "getTicketMedia",
                "parameters": [
                    {
                        "name": "number",
                        "in": "path",
                        "required": True,
                        "description": "Ticket number, e.g. PDW-261201-7KQ2MX.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "message_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                        "description": "`id` of a message of the ticket (in or out)",
                    },
                    {
                        "name": "index",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "position in the message's `media`",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "the file, with its content type",
                        "content": {
                            kind: {"schema": {"type": "string", "format": "binary"}}
                            for kind in STORED_TYPES
                        },
                    },
                    "401": error("Unauthorized"),
                    "404": error("NotFound"),
                },
            }
        }
    }
