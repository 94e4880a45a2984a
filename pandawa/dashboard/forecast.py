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
from pandawa.dashboard.access import ROLES, require_supervisor
from pandawa.dashboard.i18n import number
from pandawa.dashboard.i18n import t as dashboard_t
from pandawa.reports.forecast import SLA_GOAL
from pandawa.reports.forecast_board import DAYS, OfficeDay, office_days
from pandawa.web.i18n import language
from pandawa.web.shell import page_blueprint

bp = page_blueprint(
    "dashboard_forecast", __name__, url_prefix="/dashboard/forecast", static_folder=None
)
bp.before_request(require_supervisor)

# the forecast's own interface strings (the board's strip and the page read them through the
# template global `forecast_text`, so the dashboard's shared string table stays as it is)
STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "fc_title": "Perkiraan kebutuhan petugas",
        "fc_strip_title": "Perkiraan hari ini dan yang terjadi",
        "fc_more": "Kemarin, hari ini dan besok per jam",
        "fc_intro": "Perkiraan kedatangan tiket per jam (rata-rata hari yang sama dalam {weeks} "
        "minggu terakhir, jam setempat kantor, ditambah tiket tertunda yang dilepas saat kantor "
        "buka) dan jumlah petugas yang disarankan agar {goal} warga dijawab dalam target SLA "
        "antrean (rumus Erlang C).",
        "fc_yesterday": "Kemarin",
        "fc_today": "Hari ini",
        "fc_tomorrow": "Besok",
        "fc_hour": "Jam",
        "fc_forecast": "Perkiraan tiket",
        "fc_actual": "Tiket masuk",
        "fc_agents": "Petugas disarankan",
        "fc_made": "Dibuat {at}",
        "fc_none": "Belum ada perkiraan tersimpan untuk hari ini (dibuat pagi hari oleh sistem).",
        "fc_not_stored": "Tidak ada perkiraan yang tersimpan untuk hari itu.",
        "fc_computed": "Dihitung sekarang dari data terakhir.",
        "fc_totals": "Total perkiraan {forecast}, terjadi {actual}",
        "fc_mae": "Rata-rata selisih per jam {mae} tiket",
        "fc_peak": "Puncak {agents} petugas",
        "fc_no_offices": "Tidak ada kantor yang dapat Anda lihat.",
        "fc_closed_hour": "tutup",
    },
    "en": {
        "fc_title": "Staffing forecast",
        "fc_strip_title": "Today's forecast and what happened",
        "fc_more": "Yesterday, today and tomorrow by hour",
        "fc_intro": "Tickets expected per hour (the mean of the same weekday over the last "
        "{weeks} weeks, office local time, plus deferred tickets released at opening) and the "
        "agents recommended so that {goal} of citizens are answered within the queue's SLA "
        "target (Erlang C).",
        "fc_yesterday": "Yesterday",
        "fc_today": "Today",
        "fc_tomorrow": "Tomorrow",
        "fc_hour": "Hour",
        "fc_forecast": "Tickets forecast",
        "fc_actual": "Tickets arrived",
        "fc_agents": "Agents recommended",
        "fc_made": "Made {at}",
        "fc_none": "No forecast stored for today yet (the system makes it early in the morning).",
        "fc_not_stored": "No forecast was stored for this day.",
        "fc_computed": "Computed now from the latest data.",
        "fc_totals": "Total forecast {forecast}, happened {actual}",
        "fc_mae": "Mean error per hour {mae} tickets",
        "fc_peak": "Peak {agents} agents",
        "fc_no_offices": "No office you can see.",
        "fc_closed_hour": "closed",
    },
}


@bp.app_template_global("forecast_text")
def forecast_text(key: str, **values: object) -> str:
    """One of the forecast's strings in the page's language (Bahasa Indonesia first)."""
    text = STRINGS["en" if language() == "en" else "id"][key]
    return text.format(**values) if values else text


def t(key: str, **values: object) -> str:
    """The forecast's strings first, then the dashboard's (title, navigation)."""
    if key in STRINGS["id"]:
        return forecast_text(key, **values)
    return dashboard_t(key, **values)


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
