"""GET /media/out/<token>: the file of an outbound message, for the provider to fetch.

No sign-in: the signed, expiring token (`media_links`) is the permission, as the provider
cannot sign in. Routes on the channels blueprint (exempt from CSRF, like the webhooks);
create_app imports this module. The answer names the file's type (Twilio checks the
Content-Type it is served with against the file, by GET and HEAD) and its display name.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Response, abort, send_file

from pandawa.channels.media_links import ROUTE, LinkExpired, LinkUnknown, read_token
from pandawa.channels.media_store import STORED_TYPES, stored_path
from pandawa.channels.models import Message
from pandawa.channels.views import bp
from pandawa.core.config import current_settings
from pandawa.core.extensions import db

log = logging.getLogger(__name__)


@bp.get(ROUTE)
def outbound_media(token: str) -> Response:
    settings = current_settings()
    try:
        link = read_token(settings, token)
    except LinkUnknown:
        abort(404)
    except LinkExpired:
        log.info("media link expired")
        abort(410)
    media = db.session.scalar(
        sa.select(Message.media).where(
            Message.id == link.message_id,
            Message.direction == "out",
            Message.is_internal_note.is_(False),
        )
    )
    db.session.rollback()  # nothing to write; the connection goes back at once
    items = media or []
    item = items[link.index] if 0 <= link.index < len(items) else None
    path = stored_path(settings, item) if isinstance(item, dict) else None
    content_type = item.get("content_type") if isinstance(item, dict) else None
    if path is None or content_type not in STORED_TYPES or not path.is_file():
        abort(404)  # erased since (privacy), or never stored
    log.info("media of message %s fetched", link.message_id)
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=False,
        download_name=item.get("filename") or f"lampiran.{STORED_TYPES[content_type]}",
        etag=item.get("sha256") or True,
        conditional=True,
        max_age=None,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # a letter to one citizen: no shared cache keeps it past the link's life
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
