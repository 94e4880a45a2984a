"""`/dashboard/offices/<code>/hours` (issue 17): close an office — or one of its queues — now
until a time, open it for extra hours, or undo either, with a reason, from the board.

Supervisors and admins only (agents get the dashboard's 403 page), and only for an office
`tickets.queries.visible_offices_clause(user)` selects (any other code is 404, as if it did not
exist); a queue only when `visible_queues_clause(user)` selects it. Forms are POST with CSRF;
times are typed and shown in the office's local time ("Selasa, 1 Desember 2026 pukul 13.00
WIB"). The work — the calendar override, the tickets, the citizens told, the audit — is
`tickets.closure`; each view commits once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.accounts.models import User, display_name
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.dashboard.access import require_supervisor
from pandawa.dashboard.hours_i18n import t
from pandawa.hours.calendar import CalendarError
from pandawa.hours.formatting import format_local
from pandawa.hours.models import Office, OfficeOverride
from pandawa.hours.operations import MAX_REASON
from pandawa.hours.queries import calendar_for, overrides_in_force
from pandawa.tickets import closure
from pandawa.tickets.models import Queue
from pandawa.tickets.queries import visible_offices_clause, visible_queues_clause
from pandawa.web.i18n import language
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint(
    "dashboard_hours", __name__, url_prefix="/dashboard/offices", static_folder=None
)
bp.before_request(require_supervisor)
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">
EXTRA_DEFAULT = timedelta(hours=2)  # the extra-hours form's suggested length


class FormError(ValueError):
    """What the supervisor typed cannot be taken; the message is for her."""


@dataclass(frozen=True)
class OverrideRow:
    id: int
    kind: str
    scope: str
    starts: str
    ends: str
    reason: str
    by: str
    undone: str  # "" while in force


@bp.context_processor
def page_globals() -> dict[str, Any]:
    return {"t": t}


@bp.get("/<code>/hours")
def hours_page(code: str) -> str:
    return _page(_office(code))


@bp.post("/<code>/hours/close")
def close(code: str) -> Response | tuple[str, int]:
    office = _office(code)
    at = now()
    try:
        reason = _reason()
        queue = _queue(request.form.get("queue", ""))
        until = _local_time(office, request.form.get("until", ""))
        outcome = closure.close_now(
            db.session,
            office,
            until=until,
            at=at,
            actor=_user(),
            reason=reason,
            queue=queue,
            address=request.remote_addr or "",
        )
    except (FormError, closure.ClosureError) as error:
        db.session.rollback()
        return _page(office, error=str(error)), 422
    db.session.commit()
    lang = language()
    scope = queue.name(lang) if queue else office.name
    flash(
        t(
            "hours_closed_flash",
            scope=scope,
            until=format_local(outcome.override.ends_at, office.timezone, lang),
            deferred=outcome.deferred,
            told=outcome.told,
        ),
        "success",
    )
    return redirect(url_for("dashboard_hours.hours_page", code=office.code))


@bp.post("/<code>/hours/open")
def open_extra(code: str) -> Response | tuple[str, int]:
    office = _office(code)
    at = now()
    try:
        reason = _reason()
        starts = _local_time(office, request.form.get("starts", ""))
        ends = _local_time(office, request.form.get("ends", ""))
        outcome = closure.open_extra(
            db.session,
            office,
            starts_at=starts,
            ends_at=ends,
            at=at,
            actor=_user(),
            reason=reason,
            address=request.remote_addr or "",
        )
    except (FormError, closure.ClosureError) as error:
        db.session.rollback()
        return _page(office, error=str(error)), 422
    db.session.commit()
    lang = language()
    flash(
        t(
            "hours_opened_flash",
            start=format_local(outcome.override.starts_at, office.timezone, lang),
            end=format_local(outcome.override.ends_at, office.timezone, lang),
            told=outcome.told,
        ),
        "success",
    )
    return redirect(url_for("dashboard_hours.hours_page", code=office.code))


@bp.post("/<code>/hours/overrides/<int:override_id>/undo")
def undo(code: str, override_id: int) -> Response:
    office = _office(code)
    row = db.session.scalar(
        sa.select(OfficeOverride)
        .where(OfficeOverride.id == override_id, OfficeOverride.office_id == office.id)
        .with_for_update()
    )
    if row is None or (row.queue_id is not None and _queue_visible(row.queue_id) is None):
        abort(404)
    outcome = closure.undo(
        db.session, row, at=now(), actor=_user(), address=request.remote_addr or ""
    )
    db.session.commit()
    if outcome is None:
        flash(t("hours_already_undone"), "info")
    else:
        flash(t("hours_undone_flash", told=outcome.told), "success")
    return redirect(url_for("dashboard_hours.hours_page", code=office.code))


# -- the page --------------------------------------------------------------------------------
def _page(office: Office, error: str | None = None) -> str:
    lang = language()
    at = now()
    calendar = calendar_for(db.session, office)
    is_open = calendar.is_open(at)
    try:
        change = calendar.next_closing(at) if is_open else calendar.next_opening(at)
    except CalendarError:
        change = None
    current, past = overrides_in_force(db.session, office.id, at)
    queues = list(
        db.session.scalars(
            sa.select(Queue)
            .where(Queue.is_active.is_(True), visible_queues_clause(_user()))
            .order_by(Queue.code)
        )
    )
    zone = ZoneInfo(office.timezone)
    default_until = closure.default_closure_end(calendar, at)
    # extra hours: from today's closing when open (staying on), else from now
    extra_from = (change if is_open and change else at).replace(second=0, microsecond=0)
    return render_template(
        "dashboard/hours.html",
        office=office,
        is_open=is_open,
        change=format_local(change, office.timezone, lang) if change else "",
        current=_rows(current, lang, office.timezone),
        past=_rows(past, lang, office.timezone),
        queues=[(q.code, q.name(lang)) for q in queues],
        form=request.form if request.method == "POST" else {},
        default_until=default_until.astimezone(zone).strftime(LOCAL_INPUT),
        default_starts=extra_from.astimezone(zone).strftime(LOCAL_INPUT),
        default_ends=(extra_from + EXTRA_DEFAULT).astimezone(zone).strftime(LOCAL_INPUT),
        error=error,
        max_reason=MAX_REASON,
    )


def _rows(rows: list[OfficeOverride], lang: str, zone: str) -> list[OverrideRow]:
    """The page's rows, with the queues and people they name loaded in two queries."""
    queue_ids = {row.queue_id for row in rows if row.queue_id}
    user_ids = {uid for row in rows for uid in (row.actor_id, row.revoked_by_id) if uid}
    queues = (
        {q.id: q for q in db.session.scalars(sa.select(Queue).where(Queue.id.in_(queue_ids)))}
        if queue_ids
        else {}
    )
    users = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )

    def who(user_id: int | None) -> str:
        user = users.get(user_id) if user_id else None
        return display_name(user.name, user.email) if user else "–"

    return [
        OverrideRow(
            id=row.id,
            kind=row.kind,
            scope=queues[row.queue_id].name(lang)
            if row.queue_id in queues
            else t("hours_whole_office"),
            starts=format_local(row.starts_at, zone, lang),
            ends=format_local(row.ends_at, zone, lang),
            reason=row.reason,
            by=who(row.actor_id),
            undone=t(
                "hours_undone",
                when=format_local(row.revoked_at, zone, lang),
                by=who(row.revoked_by_id),
            )
            if row.revoked_at
            else "",
        )
        for row in rows
    ]


# -- what the form says ----------------------------------------------------------------------
def _office(code: str) -> Office:
    """The office `code` if the user may act on it; 404 otherwise (as if it did not exist)."""
    office = db.session.scalar(
        sa.select(Office).where(
            Office.code == code, Office.is_active.is_(True), visible_offices_clause(_user())
        )
    )
    if office is None:
        abort(404)
    return office


def _queue(code: str) -> Queue | None:
    code = (code or "").strip()
    if not code:
        return None
    queue = db.session.scalar(
        sa.select(Queue).where(
            Queue.code == code, Queue.is_active.is_(True), visible_queues_clause(_user())
        )
    )
    if queue is None:
        raise FormError(t("hours_unknown_queue"))
    return queue


def _queue_visible(queue_id: int) -> Queue | None:
    return db.session.scalar(
        sa.select(Queue).where(Queue.id == queue_id, visible_queues_clause(_user()))
    )


def _reason() -> str:
    reason = (request.form.get("reason") or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise FormError(t("hours_need_reason"))
    return reason


def _local_time(office: Office, value: str) -> datetime:
    """A datetime-local value ("2026-12-01T13:00") read in the office's zone."""
    try:
        local = datetime.strptime((value or "").strip()[:16], LOCAL_INPUT)
    except ValueError:
        raise FormError(t("hours_bad_time")) from None
    return local.replace(tzinfo=ZoneInfo(office.timezone))


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]
