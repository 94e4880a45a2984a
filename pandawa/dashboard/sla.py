"""SLA alerts on the dashboard (issue 17): the board's alert panel, acknowledging an alert
(POST + CSRF, audited) and the alert history of a date range with its drill-down.

The panel is `dashboard/_sla_alerts.html`, included by the board fragment; it reads the alerts
through `sla_board()`, which this blueprint puts in every template's context, so the board's
view needs no change. static/dashboard/sla_alerts.js flashes the panel and beeps (Web Audio
API, no file fetched) when an alert id appears that the page had not shown before.
Supervisors and admins only (agents get the dashboard's 403 page); every list goes through
`visibility_clause(user)`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.dashboard.access import ROLES, require_supervisor
from pandawa.dashboard.i18n import business_duration
from pandawa.dashboard.sla_i18n import t
from pandawa.hours.formatting import format_local
from pandawa.reports import sla_alerts
from pandawa.reports.scope import Scope, ScopeError, scope_from_args
from pandawa.tickets.models import Ticket
from pandawa.web.i18n import language
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint(
    "dashboard_sla", __name__, url_prefix="/dashboard/sla-alerts", static_folder=None
)
bp.before_request(require_supervisor)


@bp.errorhandler(ScopeError)
def bad_scope(error: ScopeError) -> tuple[str, int]:
    return render_template("dashboard/error.html", status=400, message=str(error)), 400


@bp.app_context_processor
def board_panel() -> dict[str, Any]:
    """`sla_board()` for the board's panel (called only where the panel is included)."""

    def sla_board() -> dict[str, Any]:
        user = current_user._get_current_object()
        if not getattr(user, "is_authenticated", False) or user.role not in ROLES:
            return {"alerts": [], "ids": ""}
        alerts = sla_alerts.active_alerts(db.session, user, now(), language=language())
        return {"alerts": alerts, "ids": sla_alerts.ids_of(alerts)}

    def sla_figures(scope: Scope) -> list[sla_alerts.QueueAlertCount]:
        user = current_user._get_current_object()
        return sla_alerts.alert_counts(
            db.session, user, scope.start, scope.end, language=language()
        )

    return {"sla_board": sla_board, "sla_figures": sla_figures, "sla_t": t}


@bp.context_processor
def page_globals() -> dict[str, Any]:
    return {"t": t, "wait": business_duration}


@bp.post("/<int:alert_id>/ack")
def acknowledge(alert_id: int) -> Response:
    user = current_user._get_current_object()
    alert = sla_alerts.acknowledge(
        db.session, alert_id, user, now(), address=request.remote_addr or ""
    )
    if alert is None:
        abort(404)
    ticket = db.session.get(Ticket, alert.ticket_id)
    number = ticket.number if ticket is not None else ""
    db.session.commit()
    log.info("sla alert %s acknowledged by user %s", alert_id, user.id)
    flash(t("sla_acked_flash", number=number), "success")
    return redirect(url_for("dashboard.board_page"))


@bp.get("")
def history() -> str:
    user = current_user._get_current_object()
    scope = scope_from_args(db.session, user, request.args)
    lang = language()
    level = request.args.get("level", type=int)
    queue_code = (request.args.get("queue") or "").strip() or None
    return render_template(
        "dashboard/sla_history.html",
        scope=scope,
        counts=sla_alerts.alert_counts(db.session, user, scope.start, scope.end, language=lang),
        rows=sla_alerts.alert_history(
            db.session, user, scope.start, scope.end, queue_code=queue_code, level=level
        ),
        level=level,
        queue_code=queue_code,
        local=lambda at: format_local(at, scope.timezone, lang) if at else "–",
    )
