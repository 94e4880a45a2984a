"""Surge mode on the board (issue 17): each queue card shows its surge badge and forecast
(`dashboard/_surge.html`, included by `_board.html`), and a supervisor or admin switches a
queue's surge on or off there: `POST /dashboard/surge/<code>` with `action=on|off` (CSRF,
audited as `surge_on` / `surge_off`). Only queues `visible_queues_clause(user)` selects can be
switched (another is 404); agents get the dashboard's 403 page.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.dashboard import i18n as dashboard_i18n
from pandawa.dashboard.access import require_supervisor
from pandawa.reports.surge import SurgePanel, surge_panels
from pandawa.tickets.models import Queue
from pandawa.tickets.queries import visible_queues_clause
from pandawa.tickets.surge import RULE, switch
from pandawa.web.i18n import language
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint("dashboard_surge", __name__, url_prefix="/dashboard/surge", static_folder=None)
bp.before_request(require_supervisor)

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "surge_badge": "MODE LONJAKAN",
        "surge_since": "sejak {since} oleh {by}",
        "surge_rule": "aturan otomatis",
        "surge_live": "Antrean langsung {waiting} / batas {cap}",
        "surge_no_cap": "Antrean langsung {waiting} (tanpa batas)",
        "surge_deferred": "Ditunda karena lonjakan: {count}",
        "surge_forecast": "Kedatangan {arrivals}/jam · dapat dilayani hari ini {servable} "
        "({online} kapasitas petugas daring) · beban {demand}",
        "surge_forecast_closed": "Kantor tutup: tidak ada yang dapat dilayani lagi hari ini.",
        "surge_over": "Beban melebihi yang dapat dilayani hari ini.",
        "surge_threshold": "Aturan: aktif otomatis di atas {ratio} × yang dapat dilayani",
        "surge_on": "Aktifkan mode lonjakan",
        "surge_off": "Matikan mode lonjakan",
        "surge_on_flash": "Mode lonjakan {queue} aktif: warga baru di atas batas antrean "
        "langsung menerima nomor tiket, perkiraan waktu, dan jawaban FAQ.",
        "surge_off_flash": "Mode lonjakan {queue} dimatikan; tiket yang ditunda dilepas ke "
        "antrean sesuai urutan.",
        "surge_unchanged": "Tidak ada perubahan: mode lonjakan {queue} sudah seperti itu.",
    },
    "en": {
        "surge_badge": "SURGE MODE",
        "surge_since": "since {since} by {by}",
        "surge_rule": "the automatic rule",
        "surge_live": "Live queue {waiting} / cap {cap}",
        "surge_no_cap": "Live queue {waiting} (no cap)",
        "surge_deferred": "Deferred by the surge: {count}",
        "surge_forecast": "Arrivals {arrivals}/hour · servable today {servable} "
        "({online} capacity of agents online) · load {demand}",
        "surge_forecast_closed": "Office closed: nothing more can be served today.",
        "surge_over": "The load exceeds what can be served today.",
        "surge_threshold": "Rule: switches on above {ratio} × what can be served",
        "surge_on": "Switch surge mode on",
        "surge_off": "Switch surge mode off",
        "surge_on_flash": "Surge mode on for {queue}: new citizens beyond the live cap get "
        "their ticket number, an honest time and FAQ answers.",
        "surge_off_flash": "Surge mode off for {queue}; deferred tickets are released in order.",
        "surge_unchanged": "Nothing changed: surge mode for {queue} already was so.",
    },
}


def st(key: str, **values: object) -> str:
    text = STRINGS[language()].get(key) or STRINGS["id"].get(key)
    if text is None:
        return dashboard_i18n.t(key, **values)
    return text.format(**values) if values else text


@bp.app_context_processor
def surge_globals() -> dict[str, Any]:
    """`surge_panel(queue_id)` for the board's cards: every visible queue's panel computed
    once per request, and only when a template asks."""
    return {"surge_panel": _panel, "st": st, "surge_rule_name": RULE}


def _panel(queue_id: int) -> SurgePanel | None:
    # kept on the request, not on `g`: an app context (and its `g`) may outlive one request
    panels = getattr(request, "surge_panels", None)
    if panels is None:
        panels = surge_panels(
            db.session, current_user._get_current_object(), now(), language=language()
        )
        request.surge_panels = panels  # type: ignore[attr-defined]
    return panels.get(queue_id)


@bp.post("/<code>")
def switch_surge(code: str) -> Response:
    user = current_user._get_current_object()
    queue = db.session.scalar(
        sa.select(Queue).where(Queue.code == code, visible_queues_clause(user))
    )
    action = request.form.get("action")
    if queue is None:
        abort(404)
    if action not in ("on", "off"):
        abort(400)
    done = switch(
        db.session, queue, action == "on", now(), actor=user, address=request.remote_addr or ""
    )
    db.session.commit()
    name = queue.name(language())
    flash(
        st(f"surge_{action}_flash" if done else "surge_unchanged", queue=name),
        "success" if done else "info",
    )
    return redirect(url_for("dashboard.board_page"))
