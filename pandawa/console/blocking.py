"""`POST /console/tickets/<number>/block`: an agent (on a ticket of her queues) or a supervisor
blocks the citizen's number with a reason (tickets.blocking: audited, the open ticket closed).
The same rule as every console page: a ticket out of sight answers 404. Supervisors lift a
block at `/dashboard/blocked`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.core.extensions import db
from pandawa.tickets import queries
from pandawa.tickets.blocking import block_contact
from pandawa.tickets.operations import TicketError
from pandawa.web.auth import login_manager
from pandawa.web.i18n import t
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint("console_blocking", __name__, url_prefix="/console", static_folder=None)


@bp.before_request
def require_user() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.post("/tickets/<number>/block")
def block(number: str) -> Response:
    user = current_user._get_current_object()
    ticket = queries.get_visible_ticket(number, user, for_update=True)
    if ticket is None:
        abort(404)  # the same answer for "absent" and "not yours"
    contact = queries.contact_of(ticket)
    try:
        done = block_contact(
            db.session,
            contact,
            user,
            request.form.get("reason", ""),
            address=request.remote_addr or "",
            ticket_number=ticket.number,
        )
    except TicketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.ticket", number=ticket.number))
    db.session.commit()
    flash(t("blocked_flash" if done else "already_blocked"), "success" if done else "info")
    return redirect(url_for("console.work"))
