"""The canned-response editor under /console/canned: supervisors and admins list, create,
edit, retire and restore the answers agents insert in the reply box, with a preview.

Agents are refused (403): they use the answers on the ticket page. A supervisor manages the
answers of the queues they are a member of (see pandawa.tickets.canned.queries); an answer
outside that scope answers 404, like a ticket out of sight. Every change is audited.
Forms are POST + CSRF (the app-wide CSRFProtect); a saved form redirects, a refused one is
shown again with its values and the reasons (422).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.accounts import presence
from pandawa.console.canned_i18n import t
from pandawa.core.extensions import db
from pandawa.tickets import queries as ticket_queries
from pandawa.tickets.canned import operations, queries
from pandawa.tickets.canned.models import LANGUAGES, CannedResponse
from pandawa.tickets.canned.variables import VARIABLES, check, fill
from pandawa.tickets.models import Queue
from pandawa.web.auth import login_manager
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint("console_canned", __name__, url_prefix="/console/canned", static_folder=None)
GLOBAL = "*"  # the queue field's value for "every queue"


@bp.before_request
def require_editor() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in queries.EDITOR_ROLES:
        log.info("canned editor refused to user %s (role %s)", current_user.id, current_user.role)
        return render_template("console/canned/forbidden.html"), 403
    return None


@bp.context_processor
def page_globals() -> dict[str, Any]:
    return {
        "t": t,
        "variables": ", ".join("{" + name + "}" for name in VARIABLES),
        "languages": LANGUAGES,
        "GLOBAL": GLOBAL,
        "presence": presence.get_presence(current_user),
    }


@bp.get("/")
@bp.get("")
def listing() -> str:
    scope = _scope()
    code = request.args.get("queue", "")
    queue = _queue_in_scope(code, scope) if code and code != GLOBAL else None
    rows = queries.editor_list(
        db.session, scope, queue.id if queue else None, only_global=code == GLOBAL
    )
    return render_template("console/canned/list.html", rows=rows, scope=scope, chosen=code)


@bp.route("/new", methods=["GET", "POST"])
def create() -> Any:
    scope = _scope()
    if request.method == "GET":
        default = request.args.get("queue", "")
        if not default and not scope.may_edit_global and scope.queues:
            default = scope.queues[0].code
        values = {"queue": default, "language": "id", "title": "", "body": "", "ticket": ""}
        return _form(scope, values, None)
    values = _values()
    draft = _draft(scope, values)
    if request.form.get("action") == "preview":
        return _form(scope, values, None, preview=True)
    try:
        canned = operations.create(
            db.session, current_user._get_current_object(), draft, address=_address()
        )
    except operations.CannedError as exc:
        db.session.rollback()
        return _form(scope, values, None, errors=exc.messages), 422
    title = canned.title
    db.session.commit()
    flash(t("canned_created", title=title), "success")
    return redirect(_list_url(canned))


@bp.route("/<int:canned_id>", methods=["GET", "POST"])
def edit(canned_id: int) -> Any:
    scope = _scope()
    canned = _editable(canned_id, scope)
    if request.method == "GET":
        values = {
            "queue": canned.queue.code if canned.queue is not None else GLOBAL,
            "language": canned.language,
            "title": canned.title,
            "body": canned.body,
            "ticket": "",
        }
        return _form(scope, values, canned)
    values = _values()
    draft = _draft(scope, values)
    if request.form.get("action") == "preview":
        return _form(scope, values, canned, preview=True)
    try:
        changed = operations.update(
            db.session, current_user._get_current_object(), canned, draft, address=_address()
        )
    except operations.CannedError as exc:
        db.session.rollback()
        return _form(scope, values, canned, errors=exc.messages), 422
    title = canned.title
    db.session.commit()
    flash(t("canned_updated", title=title) if changed else t("canned_unchanged"), "success")
    return redirect(_list_url(canned))


@bp.post("/<int:canned_id>/retire")
def retire(canned_id: int) -> Response:
    canned = _editable(canned_id, _scope())
    operations.retire(db.session, current_user._get_current_object(), canned, address=_address())
    title = canned.title
    db.session.commit()
    flash(t("canned_retired_flash", title=title), "success")
    return redirect(_list_url(canned))


@bp.post("/<int:canned_id>/restore")
def restore(canned_id: int) -> Response:
    canned = _editable(canned_id, _scope())
    operations.restore(db.session, current_user._get_current_object(), canned, address=_address())
    title = canned.title
    db.session.commit()
    flash(t("canned_restored_flash", title=title), "success")
    return redirect(_list_url(canned))


# -- helpers --------------------------------------------------------------------------------
def _scope() -> queries.EditScope:
    return queries.edit_scope(db.session, current_user._get_current_object())


def _editable(canned_id: int, scope: queries.EditScope) -> CannedResponse:
    canned = db.session.get(CannedResponse, canned_id)
    if canned is None or not scope.allows(canned.queue_id):
        abort(404)  # "absent" and "not yours" look the same
    return canned


def _queue_in_scope(code: str, scope: queries.EditScope) -> Queue:
    for queue in scope.queues:
        if queue.code == code:
            return queue
    abort(404)


def _values() -> dict[str, str]:
    form = request.form
    return {
        "queue": form.get("queue", ""),
        "language": form.get("language", "id"),
        "title": form.get("title", ""),
        "body": form.get("body", ""),
        "ticket": form.get("ticket", "").strip(),
    }


def _draft(scope: queries.EditScope, values: dict[str, str]) -> operations.Draft:
    """The form as a draft; a queue outside the user's scope is refused outright (403): the
    form never offers it."""
    code = values["queue"]
    if code == GLOBAL:
        if not scope.may_edit_global:
            abort(403)
        queue = None
    else:
        queue = next((q for q in scope.queues if q.code == code), None)
        if queue is None:
            abort(403)
    return operations.Draft.of(queue, values["language"], values["title"], values["body"])


def _form(
    scope: queries.EditScope,
    values: dict[str, str],
    canned: CannedResponse | None,
    *,
    preview: bool = False,
    errors: list[str] | None = None,
) -> str:
    shown = None
    if preview:
        # the preview reports what saving would refuse in the variables, and saves nothing
        errors = [error.message for error in check(values["body"])]
        shown = _preview(values)
    return render_template(
        "console/canned/form.html",
        scope=scope,
        values=values,
        canned=canned,
        errors=errors or [],
        preview=shown,
    )


def _preview(values: dict[str, str]) -> dict[str, str]:
    """The text with its variables filled: from the chosen ticket when the user may see it,
    otherwise from the example."""
    language = values["language"] if values["language"] in LANGUAGES else "id"
    number = values["ticket"]
    ticket = (
        ticket_queries.get_visible_ticket(number, current_user._get_current_object())
        if number
        else None
    )
    if ticket is not None:
        name = ticket_queries.contact_of(ticket).name or ""
        filled = queries.ticket_values(ticket, name, language)
        note = t("canned_preview_ticket", number=ticket.number)
    else:
        filled = queries.example_values(db.session, language)
        note = t("canned_preview_example", name=filled["nama"], number=filled["nomor_tiket"])
        if number:  # absent or out of sight: the same answer
            note = t("canned_ticket_unknown", number=number) + " " + note
    return {"text": fill(values["body"].strip(), filled), "note": note}


def _list_url(canned: CannedResponse) -> str:
    code = canned.queue.code if canned.queue is not None else GLOBAL
    return url_for("console_canned.listing", queue=code)


def _address() -> str:
    return request.remote_addr or ""
