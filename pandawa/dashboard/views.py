"""The supervisors' dashboard under /dashboard: the live board, figures and charts, the tickets
behind every figure, and CSV exports.

Supervisors and admins only: an agent gets a 403 page, a signed-out visitor the sign-in page.
Everything is read-only (GET), computed per request from the database: no per-process state,
so any number of web processes serve it. The board page refreshes itself by polling the
`/dashboard/board` fragment (static/dashboard/dashboard.js; no inline script under the CSP).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Response,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from pandawa.accounts.models import User, display_name
from pandawa.accounts.presence import get_presence
from pandawa.citizens.masking import mask_phone, mask_text
from pandawa.core.extensions import db
from pandawa.dashboard import charts
from pandawa.dashboard.access import require_supervisor
from pandawa.dashboard.drilldown import drill_from_args, iter_ticket_rows, ticket_rows
from pandawa.dashboard.exports import figures_csv, mask_name, may_reveal_personal, tickets_csv
from pandawa.dashboard.i18n import business_duration, describe, number, t
from pandawa.dashboard.processes import ProcessAlert, process_alerts
from pandawa.dashboard.scopes import my_scope
from pandawa.hours.formatting import zone_abbreviation
from pandawa.hours.models import Office
from pandawa.reports.board import board as live_board
from pandawa.reports.scope import Scope, ScopeError, ScopeNotFound, scope_from_args
from pandawa.reports.snapshots import page_figures
from pandawa.tickets.models import Queue
from pandawa.tickets.queries import visible_offices_clause
from pandawa.web.i18n import language
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.before_request(require_supervisor)
BOM = "\ufeff"
PAGE_SIZE = 50
DEFAULT_ZONE = "Asia/Jakarta"


@bp.errorhandler(ScopeError)
def bad_scope(error: ScopeError) -> tuple[str, int]:
    # the message is already bilingual ("Indonesian / English") and names only codes and dates
    return render_template("dashboard/error.html", status=400, message=str(error)), 400


@bp.errorhandler(ScopeNotFound)
def scope_not_found(error: ScopeNotFound) -> tuple[str, int]:
    # an office outside the supervisor's scope is absent, like one that does not exist
    return render_template("dashboard/error.html", status=404, message=str(error)), 404


@bp.context_processor
def page_globals() -> dict[str, Any]:
    """`t` looks in the dashboard's strings first (then the console's, for base.html)."""
    user = current_user
    return {
        "t": t,
        "wait": business_duration,
        "num": number,
        "pct": lambda share: charts.percent_text(share, language()),
        "presence": get_presence(user) if getattr(user, "is_authenticated", False) else None,
        # issue 17: a supervisor bound to offices is told which, on every dashboard page
        "my_scope": my_scope(user),
    }


# --- the live board ---------------------------------------------------------------------------


@bp.get("/")
@bp.get("")
def board_page() -> str:
    data = live_board(db.session, _user(), language=language())
    return render_template(
        "dashboard/board.html", board=data, updated=_updated(data), alerts=_alerts(data)
    )


@bp.get("/board")
def board_fragment() -> Response | str:
    """The board's live part: HTML for the page's script, JSON when asked for it."""
    data = live_board(db.session, _user(), language=language())
    alerts = _alerts(data)
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(_plain({**asdict(data), "process_alerts": [asdict(a) for a in alerts]}))
    return render_template(
        "dashboard/_board.html", board=data, updated=_updated(data), alerts=alerts
    )


def _alerts(data: Any) -> list[ProcessAlert]:
    """Beat or the workers missing: the banner, in the first office's local time."""
    zone = data.offices[0].timezone if data.offices else DEFAULT_ZONE
    return process_alerts(db.session, data.generated_at, zone)


def _updated(data: Any) -> str:
    zone = data.offices[0].timezone if data.offices else DEFAULT_ZONE
    local = data.generated_at.astimezone(ZoneInfo(zone))
    separator = ":" if language() == "en" else "."
    clock = local.strftime(f"%H{separator}%M{separator}%S")
    return f"{clock} {zone_abbreviation(zone, data.generated_at)}"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- figures and charts -----------------------------------------------------------------------


@bp.get("/figures")
def figures_page() -> str:
    user = _user()
    scope = scope_from_args(db.session, user, request.args)
    link = _linker(scope)
    options = _options()
    context: dict[str, Any] = {
        "scope": scope,
        "link": link,
        "options": options,
        "sqlite": False,
        # queue names in the reader's language (the stored figures carry the Indonesian ones)
        "queue_names": {code: label.split(" · ", 1)[-1] for code, label in options["queue"]},
    }
    try:
        # the standard ranges come ready from the workers; others are computed and kept
        page = page_figures(db.session, user, scope)
        db.session.commit()
        context.update(
            computed_at=page.computed_at,
            local=lambda at: _local(at, scope.timezone),
            by_queue=page.by_queue,
            by_agent=page.by_agent,
            total=page.total,
            carry=page.carry,
            chart_hour=charts.hour_chart(page.hours, link),
            chart_weekday=charts.weekday_chart(page.weekdays, link),
            chart_wait=charts.wait_chart(page.buckets, link),
            chart_sla=charts.sla_chart(page.sla_days, link),
        )
    except sa.exc.DBAPIError:
        if db.session.get_bind().dialect.name != "sqlite":
            raise
        # the embedded dev stack: percentile_cont and friends are PostgreSQL's
        log.info("dashboard figures unavailable on SQLite")
        db.session.rollback()
        context["sqlite"] = True
    return render_template("dashboard/figures.html", **context)


def _linker(scope: Scope) -> Any:
    """`link(**drill)`: the tickets page for this scope narrowed by `drill` (and by queue= or
    agent= for a row of the per-queue or per-agent table)."""

    def link(**drill: object) -> str:
        args = scope.query_args()
        for key, value in drill.items():
            if value is None or value == "":
                continue
            args[key] = "1" if value is True else "0" if value is False else str(value)
        return url_for("dashboard.tickets", **args)

    return link


def _options() -> dict[str, list[tuple[str, str]]]:
    """The choices of the range form's selects: (value, label)."""
    lang = language()
    offices = db.session.execute(
        sa.select(Office.code, Office.name)
        .where(visible_offices_clause(_user()))
        .order_by(Office.code)
    )
    queues = db.session.scalars(sa.select(Queue).order_by(Queue.code))
    agents = db.session.execute(
        sa.select(User.email, User.name)
        .where(User.is_active.is_(True), User.role == "agent")
        .order_by(User.name, User.email)
    )
    return {
        "office": [(code, f"{code} · {name}") for code, name in offices],
        "queue": [(q.code, f"{q.code} · {q.name(lang)}") for q in queues],
        "agent": [(email, display_name(name, email)) for email, name in agents],
    }


# --- the tickets behind a figure ----------------------------------------------------------------


@bp.get("/tickets")
def tickets() -> str:
    user = _user()
    scope = scope_from_args(db.session, user, request.args)
    drill = drill_from_args(request.args)
    cursor = request.args.get("cursor") or None
    # a cursor that is not one of ours is a ScopeError too: the 400 page
    rows, next_cursor = ticket_rows(db.session, user, scope, drill, cursor=cursor, limit=PAGE_SIZE)
    args = {**scope.query_args(), **drill.query_args()}
    reveal = may_reveal_personal(user)
    return render_template(
        "dashboard/tickets.html",
        scope=scope,
        rows=rows,
        reveal=reveal,
        # names in clear for admins only; numbers (and any typed into a name) for nobody
        name_of=lambda name: (mask_text(name) if reveal else mask_name(name)) if name else "–",
        phone_of=mask_phone,
        local=lambda at: _local(at, scope.timezone),
        described=describe(drill, scope),
        next_url=url_for("dashboard.tickets", **args, cursor=next_cursor) if next_cursor else None,
        first_url=url_for("dashboard.tickets", **args) if cursor else None,
        csv_url=url_for("dashboard.export_tickets", **args),
    )


def _local(at: datetime | None, zone: str) -> str:
    if at is None:
        return "–"
    local = at.astimezone(ZoneInfo(zone))
    clock = local.strftime("%H:%M" if language() == "en" else "%H.%M")
    return f"{local:%d-%m-%Y} {clock}"


# --- CSV exports ------------------------------------------------------------------------------


@bp.get("/export/figures.csv")
def export_figures() -> Response:
    user = _user()
    scope = scope_from_args(db.session, user, request.args)
    by = request.args.get("by", "queue")
    if by not in ("queue", "agent", "all"):
        raise ScopeError("Nilai by harus queue, agent atau all. / by must be queue, agent or all.")
    # the page's own numbers (the same kept range), so the file never disagrees with the page
    page = page_figures(db.session, user, scope)
    db.session.commit()  # a range computed here is kept for the page
    body = figures_csv({"queue": page.by_queue, "agent": page.by_agent, "all": page.total}[by])
    return _csv(body, f"pandawa-angka-{by}-{scope.first_day}-{scope.last_day}.csv")


@bp.get("/export/tickets.csv")
def export_tickets() -> Response:
    user = _user()
    scope = scope_from_args(db.session, user, request.args)
    drill = drill_from_args(request.args)
    log.info("dashboard tickets export by user %s", user.id)
    lines = tickets_csv(
        iter_ticket_rows(db.session, user, scope, drill),
        reveal_personal=may_reveal_personal(user),
        timezone=scope.timezone,
    )
    # streamed: a year of tickets never sits in memory; the context keeps the session open
    return _csv(stream_with_context(lines), f"pandawa-tiket-{scope.first_day}-{scope.last_day}.csv")


def _csv(body: Any, filename: str) -> Response:
    # a byte-order mark first: Excel, where most supervisors open these, reads the file as
    # UTF-8 only with it (without it, names and dashes come out garbled)
    lines = [BOM, body] if isinstance(body, str) else itertools.chain([BOM], body)
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]
