"""A citizen's stored file, sent to a user who may see its ticket (the console's and the API's
download routes): the same checks and the same headers for both.

Any photo or PDF a citizen sends may be a KTP or KK: every opening or download is recorded as a
`document_view` audit row (who, which ticket and citizen, from where), committed by the route."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, send_file

from pandawa.accounts.models import User
from pandawa.audit.operations import record
from pandawa.channels.media_store import STORED_TYPES, stored_path
from pandawa.channels.models import Message
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.tickets.models import Ticket


def send_stored_media(
    ticket: Ticket, message_id: int, index: int, *, viewer: User, address: str
) -> Response | None:
    """Item `index` of the ticket's message `message_id` (in or out); None (the caller's 404) for a
    message of another ticket, an item that is not (yet) stored and a file gone from the disk.
    A file sent adds its `document_view` audit row to the session (the caller commits).
    """
    message = db.session.scalar(
        sa.select(Message).where(
            Message.id == message_id,
            Message.ticket_id == ticket.id,
            # the citizen's files, and the ones agents sent them (a letter may carry NIK too)
            Message.is_internal_note.is_(False),
        )
    )
    items = (message.media or []) if message is not None else []
    item = items[index] if index < len(items) and isinstance(items[index], dict) else {}
    path = stored_path(current_settings(), item)
    content_type = item.get("content_type")
    if path is None or content_type not in STORED_TYPES or not path.is_file():
        return None

    record(
        db.session,
        "document_view",
        actor_id=viewer.id,
        actor_label=viewer.email,
        contact_id=ticket.contact_id,
        ticket_number=ticket.number,
        field=f"document.{message_id}.{index}",
        address=address,
        details={"content_type": content_type},
    )
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=not content_type.startswith("image/"),  # PDFs download, images show
        download_name=f"{ticket.number}-{message_id}-{index}.{STORED_TYPES[content_type]}",
        etag=item.get("sha256") or True,
        conditional=True,
        max_age=None,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # documents carry NIK and family data: no shared cache, nothing kept on a shared computer
    response.headers["Cache-Control"] = "private, no-store"
    # opened directly, the file can run nothing, even if a browser misjudged its type
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
