"""The agents' console under /console: work list, ticket view and the actions on a ticket.

Every page needs a signed-in user; agents see their queues' tickets, supervisors and admins
all (the same rule as the API: a ticket out of sight answers 404, as if it did not exist).
Actions are POST + CSRF + redirect; each commits once.

NIK, KK and phone numbers are masked for every role, whoever holds the ticket; the "Tampilkan /
Show" buttons post to `reveal`, which answers one value (JSON, never cached) and leaves an audit
row (pandawa.web.reveal).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.accounts import presence
from pandawa.audit.operations import record
from pandawa.channels.window import window_closes_at, window_is_open
from pandawa.citizens.masking import mask_details, mask_text
from pandawa.citizens.models import Conversation
from pandawa.console.checklist import checklist_lines
from pandawa.console.checklist_i18n import t as checklist_t
from pandawa.console.names import messages_with_authors
from pandawa.console.notes import add_note
from pandawa.console.queries import before_ticket, earlier_tickets, work_page
from pandawa.console.undo import offer_undo, undo_offer, withdraw_undo
from pandawa.core.clock import now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.reports.board import queue_counts
from pandawa.tickets import claims, operations, queries, undo
from pandawa.tickets.canned.queries import offered
from pandawa.tickets.models import Ticket
from pandawa.tickets.notify import reopen_preview
from pandawa.tickets.queries import visibility_clause, visible_queues_clause
from pandawa.web import reveal as revealing
from pandawa.web.auth import login_manager
from pandawa.web.i18n import language as ui_language
from pandawa.web.i18n import t
from pandawa.web.media import send_stored_media
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint("console", __name__, url_prefix="/console")
MAX_REASON = 500
# the "Urungkan / Undo" banner after a resolution, on every console page
bp.context_processor(undo_offer)


@bp.before_request
def require_user() -> Any:
    if request.endpoint == "console.static":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if presence.touch(current_user):
        db.session.commit()
    return None


@bp.get("/")
@bp.get("")
def work() -> str:
    user = current_user._get_current_object()
    page = request.args.get("page", "1")
    listing = work_page(db.session, user, int(page) if page.isdigit() else 1)
    # the board's counts (pandawa.reports.definitions): one definition of waiting and deferred
    loads = queue_counts(db.session, visible_queues_clause(user), tickets=visibility_clause(user))
    return render_template(
        "console/work.html",
        loads=loads,
        listing=listing,
        presence=presence.get_presence(user),
        queue_codes=",".join(load.queue.code for load in loads),
    )


@bp.post("/claim")
def claim() -> Response:
    claimed = claims.claim(db.session, current_user._get_current_object())
    if claimed is None:
        db.session.commit()
        flash(t("none_waiting"), "info")
        return redirect(url_for("console.work"))
    number = claimed.number
    db.session.commit()
    flash(t("claimed", number=number), "success")
    return redirect(url_for("console.ticket", number=number))


@bp.post("/presence")
def set_presence() -> Response:
    state = request.form.get("presence", "")
    if state not in presence.STATES:
        abort(400)
    presence.set_presence(current_user._get_current_object(), state)
    flash(t("presence_saved", state=t(state)), "info")
    return redirect(_back())


@bp.get("/tickets/<number>")
def ticket(number: str) -> str:
    user = current_user._get_current_object()
    item = _visible(number)
    contact = queries.contact_of(item)
    conversation = db.session.get(Conversation, item.conversation_id)
    assert conversation is not None
    at = now()
    holds = item.status == "assigned" and item.assignee_id == user.id
    window_open = window_is_open(conversation.last_inbound_at, at)
    raw_details = item.details or {}
    details = mask_details(raw_details)
    return render_template(
        "console/ticket.html",
        ticket=item,
        contact=contact,
        messages=messages_with_authors(db.session, item.id),
        # what the citizen typed for the bot holds their NIK: masked like everything else
        before=[(m, mask_text(m.body or "")) for m in before_ticket(db.session, item)],
        details=details,
        # the keys whose value is masked: each gets a "show" button
        revealable={key for key, value in details.items() if value != raw_details.get(key)},
        may_reveal=revealing.may_reveal(user),
        earlier=earlier_tickets(db.session, item, user),
        window_open=window_open,
        window_until=window_closes_at(conversation.last_inbound_at),
        # past the window: the approved template that goes before any reply, filled in
        reopen=None if window_open else reopen_preview(db.session, item, conversation),
        undo_seconds=current_settings().resolve_undo_seconds,
        holds=holds,
        can_act=item.is_open and (holds or user.sees_all_queues),
        queues=[q for q in queries.active_queues(db.session) if q.id != item.queue_id],
        # the queue's active answers and the global ones, filled with this ticket's values
        canned=offered(db.session, item, contact.name or "", contact.language),
        presence=presence.get_presence(user),
        queue_codes=item.queue.code,
        # the eligibility checklist the bot walked through (issue 17, item 10)
        checklist=checklist_lines(db.session, item, ui_language()),
        ct=checklist_t,
    )


@bp.get("/tickets/<number>/media/<int:message_id>/<int:index>")
def media(number: str, message_id: int, index: int) -> Response:
    item = _visible(number)
    response = send_stored_media(
        item,
        message_id,
        index,
        viewer=current_user._get_current_object(),
        address=request.remote_addr or "",
    )
    if response is None:
        abort(404)
    db.session.commit()  # the document_view audit row
    return response


@bp.post("/tickets/<number>/reveal")
def reveal(number: str) -> Response:
    """One masked value in full, for the page's script: role first (403 says nothing about the
    ticket), then sight (404), then the field (404); one audit row per answer."""
    user = current_user._get_current_object()
    if not revealing.may_reveal(user):
        abort(403)
    item = _visible(number)
    try:
        value = revealing.reveal(
            db.session, user, item, request.form.get("field", ""), request.remote_addr or ""
        )
    except revealing.UnknownField:
        abort(404)
    db.session.commit()
    response = jsonify(field=request.form.get("field", ""), value=value)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tickets/<number>/reply")
def reply(number: str) -> Response:
    item = _visible(number, for_update=True)
    try:
        messages = operations.reply(
            db.session, item, current_user._get_current_object(), request.form.get("body", "")
        )
    except operations.TicketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.ticket", number=number))
    held = any(m.status == "held" for m in messages)
    db.session.commit()
    flash(t("held_sent" if held else "sent"), "success")
    return redirect(url_for("console.ticket", number=number) + "#reply")


@bp.post("/tickets/<number>/note")
def note(number: str) -> Response:
    item = _visible(number, for_update=True)
    try:
        add_note(db.session, item, current_user._get_current_object(), request.form.get("body", ""))
    except operations.TicketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.ticket", number=number))
    db.session.commit()
    flash(t("noted"), "success")
    return redirect(url_for("console.ticket", number=number))


@bp.post("/tickets/<number>/transfer")
def transfer(number: str) -> Response:
    item = _visible(number, for_update=True)
    code = request.form.get("queue", "")
    reason = (request.form.get("reason") or "").strip()[:MAX_REASON] or None
    try:
        operations.transfer(
            db.session, item, current_user._get_current_object(), code, reason=reason
        )
    except operations.TicketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.ticket", number=number))
    db.session.commit()
    flash(t("transferred", queue=code), "success")
    # an agent outside the new queue no longer sees the ticket: back to the list
    return redirect(url_for("console.work"))


@bp.post("/tickets/<number>/resolve")
def resolve(number: str) -> Response | str:
    """Resolve after a confirmation: the page's <dialog> posts `confirm=yes`; without it (no
    script) this answers the confirmation page. The citizen is told after the undo period."""
    user = current_user._get_current_object()
    item = _visible(number, for_update=True)
    seconds = current_settings().resolve_undo_seconds
    if request.form.get("confirm") != "yes":
        db.session.rollback()  # the row lock: nothing changes until confirmed
        if not (item.is_open and (item.assignee_id == user.id or user.sees_all_queues)):
            flash(t("cannot_resolve", number=item.number), "error")
            return redirect(url_for("console.ticket", number=number))
        return render_template("console/resolve_confirm.html", ticket=item, undo_seconds=seconds)
    try:
        operations.resolve(db.session, item, user, announce_after=seconds)
    except operations.TicketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.ticket", number=number))
    db.session.commit()
    flash(t("resolved_flash", number=item.number), "success")
    offer_undo(item.number, seconds)
    return redirect(url_for("console.work"))


@bp.post("/tickets/<number>/undo-resolve")
def undo_resolve(number: str) -> Response:
    """Reopen a ticket resolved moments ago as it was (same status and holder); audited."""
    user = current_user._get_current_object()
    item = _visible(number, for_update=True)
    try:
        undo.undo_resolve(db.session, item, user)
    except operations.TicketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.ticket", number=number))
    record(
        db.session,
        "resolve_undone",
        actor_id=user.id,
        actor_label=user.email,
        contact_id=item.contact_id,
        ticket_number=item.number,
        address=request.remote_addr or "",
    )
    db.session.commit()
    withdraw_undo(item.number)
    flash(t("resolve_undone", number=item.number, status=t(item.status)), "success")
    return redirect(url_for("console.ticket", number=item.number))


def _visible(number: str, *, for_update: bool = False) -> Ticket:
    item = queries.get_visible_ticket(
        number, current_user._get_current_object(), for_update=for_update
    )
    if item is None:
        abort(404)  # the same answer for "absent" and "not yours"
    return item


def _back() -> str:
    target = request.form.get("back") or ""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("console.work")
