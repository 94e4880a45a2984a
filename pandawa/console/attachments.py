"""POST /console/tickets/<number>/attach: the agent sends the citizen a photo or a PDF.

Routes on the console's blueprint (create_app imports this module). The upload is larger than
the app's 1 MiB request limit, so this one view raises the limit for its own request before
the form is read — which is why it is exempt from the app-wide CSRF check, run before any view,
and checks the token itself, first thing, once the limit allows reading the form.

Order: the ticket in the agent's sight (404 otherwise, before anything is read), the token,
what a reply needs (open, held, the window or its template), then the bytes (type by content,
size by type), stored; the outbound row; the `document_send` audit row; one commit.
"""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from pandawa.audit.operations import record
from pandawa.channels.attachments import ACCEPT, AttachmentRefused, largest_upload, store_upload
from pandawa.channels.attachments import too_large_message as too_large
from pandawa.console.views import bp
from pandawa.core.config import current_settings
from pandawa.core.extensions import csrf, db
from pandawa.tickets import attachments, queries
from pandawa.tickets.operations import TicketError
from pandawa.web.i18n import t

log = logging.getLogger(__name__)

# the form's other fields (caption, token) and multipart framing besides the file
FORM_ALLOWANCE = 64 * 1024


@bp.post("/tickets/<number>/attach")
@csrf.exempt
def attach(number: str) -> Response:
    settings = current_settings()
    user = current_user._get_current_object()
    item = queries.get_visible_ticket(number, user, for_update=True)
    if item is None:
        abort(404)  # another queue's ticket, or none: before anything is read
    back = url_for("console.ticket", number=number)
    request.max_content_length = largest_upload(settings) + FORM_ALLOWANCE
    try:
        csrf.protect()  # 400 without a valid token, as every other form
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        db.session.rollback()
        flash(too_large(settings), "error")
        return redirect(back)
    if upload is None or not upload.filename:
        db.session.rollback()
        flash(t("attach_choose"), "error")
        return redirect(back)
    try:
        caption = attachments.check(db.session, item, user, request.form.get("caption", ""))
        stored = store_upload(upload.stream, upload.filename, settings)
        messages = attachments.send(db.session, item, user, stored, caption)
    except (TicketError, AttachmentRefused) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    record(
        db.session,
        "document_send",
        actor_id=user.id,
        actor_label=user.email,
        contact_id=item.contact_id,
        ticket_number=item.number,
        field=f"document.{messages[0].id}.0",
        address=request.remote_addr or "",
        details={
            "content_type": stored["content_type"],
            "size": stored["size"],
            "sha256": stored["sha256"],
        },
    )
    held = messages[0].status == "held"
    db.session.commit()
    log.info("attachment sent on ticket %s as message %s", item.id, messages[0].id)
    flash(t("attach_held" if held else "attach_sent"), "success")
    return redirect(back + "#reply")


@bp.context_processor
def attach_limits() -> dict:
    """The form's limits, for its labels and its script (the server decides)."""
    settings = current_settings()
    image, pdf = settings.attachment_max_image_bytes, settings.attachment_max_pdf_bytes
    return {
        "attach_limits": {
            "image": image,
            "pdf": pdf,
            "image_shown": f"{image / 1_000_000:g} MB",
            "pdf_shown": f"{pdf / 1_000_000:g} MB",
            "too_large": too_large(settings),
            "accept": ACCEPT,
        }
    }
