"""`/admin/dead-letters`: inbound messages parked after their processing failed too often
(conversations.deadletter), and putting one back once the fault is fixed. Admins only (403
otherwise); the sender masked, the body never shown (the error's class name says what broke).
"""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.conversations import deadletter
from pandawa.core.extensions import db
from pandawa.web.auth import login_manager
from pandawa.web.i18n import t
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint(
    "admin_deadletters", __name__, url_prefix="/admin/dead-letters", static_folder=None
)


@bp.before_request
def require_admin() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != "admin":
        abort(403)
    return None


@bp.get("")
def dead_letters() -> str:
    rows = deadletter.dead_letters(db.session)
    return render_template("admin/dead_letters.html", rows=rows)


@bp.post("/<int:message_id>/retry")
def retry(message_id: int) -> Response:
    if not deadletter.requeue(db.session, message_id):
        db.session.rollback()
        abort(404)
    db.session.commit()  # publishes conversations.process_inbound
    log.info("dead letter id=%s re-queued by admin %s", message_id, current_user.id)
    flash(t("dead_letter_requeued"), "success")
    return redirect(url_for("admin_deadletters.dead_letters"))
