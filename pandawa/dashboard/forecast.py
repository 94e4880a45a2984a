"""`/dashboard/forecast`: the staffing forecast beside what happened — yesterday and today
(the forecast stored that morning) and tomorrow (forecast now), per visible office, hour by
hour: tickets forecast, tickets arrived, agents recommended (reports/forecast.py, Erlang C).
Supervisors and admins; agents get the dashboard's 403 page.

The board shows today's strip (`templates/dashboard/_forecast.html`, included by the board's
live part) through the template global `forecast_strip()`, which reads the same figures for
today only.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from pandawa.core.clock import now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.dashboard.i18n import number, t
from pandawa.reports.forecast import SLA_GOAL
from pandawa.reports.forecast_board import DAYS, OfficeDay, office_days
from pandawa.web.auth import login_manager
from pandawa.web.i18n import language
from pandawa.web.shell import page_blueprint

bp = page_blueprint(
    "dashboard_forecast", __name__, url_prefix="/dashboard/forecast", static_folder=None
)
ROLES = ("supervisor", "admin")


@bp.before_request
def require_supervisor() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in ROLES:
        return render_template("dashboard/error.html", status=403, message=None), 403
    return None


@bp.context_processor
def page_globals() -> dict[str, Any]:
    return {"t": t, "num": number}


@bp.get("")
def forecast_page() -> str:
    weeks = current_settings().forecast_weeks
    days = office_days(db.session, current_user, DAYS, now(), language(), weeks)
    return render_template(
        "dashboard/forecast.html",
        days=days,
        weeks=weeks,
        goal=f"{round(SLA_GOAL * 100)} %",
    )


@bp.app_template_global("forecast_strip")
def forecast_strip() -> list[OfficeDay]:
    """Today's forecast vs what happened, for the board's strip (supervisors and admins)."""
    user = current_user
    if not getattr(user, "is_authenticated", False) or user.role not in ROLES:
        return []
    weeks = current_settings().forecast_weeks
    return office_days(db.session, user, ("today",), now(), language(), weeks)
