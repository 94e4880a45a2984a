"""`/dashboard/settings` (issue 17): per queue the first-response and resolution targets,
automatic assignment and the idle-return minutes; per agent of those queues the capacity.

Queue settings reach every office: admins and agency-wide supervisors change them
(`managed_queues_clause`), a supervisor bound to offices sees none; agents' capacity and her
own alert addresses she sets for the members of the queues she sees. Admins see all;
agents get the dashboard's 403 page. Forms are POST with CSRF; every change is audited with
its old and new values (tickets/settings.py). A value out of range answers 400 with the page
and a bilingual message, nothing changed.

Which wins after a later `pandawa catalog load`: the page. A queue changed here carries
`settings_edited_at`, and the load keeps its targets and auto-assignment (the log says so;
provisioning/operations.py `PAGE_OWNED`).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.accounts.models import User, display_name
from pandawa.catalog.queries import active_catalog
from pandawa.catalog.sla_templates import SLA_TEMPLATES
from pandawa.conversations.validators import normalise_phone
from pandawa.core.clock import as_utc, now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.core.masking import mask_phone
from pandawa.dashboard.access import require_supervisor
from pandawa.dashboard.sla_i18n import STRINGS, t
from pandawa.hours.formatting import format_local
from pandawa.reports.sla_notices import WHATSAPP_TEMPLATE
from pandawa.tickets.models import Queue, queue_member
from pandawa.tickets.queries import managed_queues_clause, visible_queues_clause
from pandawa.tickets.settings import (
    LIMITS,
    SettingsError,
    queue_values,
    set_alert_email,
    set_alert_whatsapp,
    set_capacity,
    update_queue_settings,
)
from pandawa.web.i18n import language
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint(
    "dashboard_settings", __name__, url_prefix="/dashboard/settings", static_folder=None
)
bp.before_request(require_supervisor)
ZONE = "Asia/Jakarta"
FIELD_KEYS = {
    "sla_minutes": "settings_first_response",
    "resolution_minutes": "settings_resolution",
    "idle_return_minutes": "settings_idle_return",
    "capacity": "settings_capacity",
    "live_capacity": "settings_live_capacity",
}


@bp.context_processor
def page_globals() -> dict[str, Any]:
    return {"t": t}


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _queues(user: User, rule: Any = managed_queues_clause) -> list[Queue]:
    """Active queues `rule(user)` selects: by default those whose settings she may change (a
    queue serves every office, so a supervisor bound to offices changes none of them)."""
    return list(
        db.session.scalars(
            sa.select(Queue).where(Queue.is_active.is_(True), rule(user)).order_by(Queue.code)
        )
    )


def _members(queue_ids: list[int]) -> list[tuple[User, list[str]]]:
    """Active members of the queues, each with the codes of those queues (one query)."""
    if not queue_ids:
        return []
    rows = db.session.execute(
        sa.select(User, Queue.code)
        .join(queue_member, queue_member.c.user_id == User.id)
        .join(Queue, Queue.id == queue_member.c.queue_id)
        .where(queue_member.c.queue_id.in_(queue_ids), User.is_active.is_(True))
        .order_by(User.name, User.email, Queue.code)
    ).all()
    found: dict[int, tuple[User, list[str]]] = {}
    for user, code in rows:
        found.setdefault(user.id, (user, []))[1].append(code)
    return list(found.values())


def _page(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    user = _user()
    queues = _queues(user)
    lang = language()
    return (
        render_template(
            "dashboard/settings.html",
            queues=queues,
            values={q.id: queue_values(q) for q in queues},
            templates=SLA_TEMPLATES,
            members=[
                (member, display_name(member.name, member.email), codes)
                for member, codes in _members([q.id for q in _queues(user, visible_queues_clause)])
            ],
            limits=LIMITS,
            errors=errors or {},
            lang=lang,
            me=user,
            my_whatsapp=mask_phone(user.alert_whatsapp) if user.alert_whatsapp else None,
            whatsapp_on=_whatsapp_template_loaded(),
            email_on=bool(current_settings().sla_alert_email_smtp_url),
            edited=lambda at: format_local(as_utc(at), ZONE, lang) if at else None,
        ),
        status,
    )


def _whatsapp_template_loaded() -> bool:
    try:
        return active_catalog().template(WHATSAPP_TEMPLATE) is not None
    except LookupError:  # no catalogue loaded
        return False


@bp.get("")
def settings_page() -> tuple[str, int]:
    return _page()


def _number(field: str, raw: str | None, *, optional: bool = False) -> int | None:
    raw = (raw or "").strip()
    if optional and raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(field) from None


def _error(field: str) -> str:
    low, high = LIMITS[field]
    key = FIELD_KEYS[field]
    from_id = {"field": _string("id", key), "low": low, "high": high}
    from_en = {"field": _string("en", key), "low": low, "high": high}
    return (
        f"{_string('id', 'settings_error_number').format(**from_id)} / "
        f"{_string('en', 'settings_error_number').format(**from_en)}"
    )


def _string(lang: str, key: str) -> str:
    return STRINGS[lang][key]


@bp.post("/queues/<code>")
def save_queue(code: str) -> Response | tuple[str, int]:
    user = _user()
    queue = db.session.scalar(
        sa.select(Queue)
        .where(Queue.code == code, Queue.is_active.is_(True), managed_queues_clause(user))
        .with_for_update()
    )
    if queue is None:
        abort(404)
    form = request.form
    try:
        new = {
            "sla_minutes": _number("sla_minutes", form.get("sla_minutes")),
            "resolution_minutes": _number(
                "resolution_minutes", form.get("resolution_minutes"), optional=True
            ),
            "is_auto_assign": form.get("is_auto_assign") == "1",
            "idle_return_minutes": _number("idle_return_minutes", form.get("idle_return_minutes")),
            "live_capacity": _number("live_capacity", form.get("live_capacity"), optional=True),
        }
        changed = update_queue_settings(
            db.session, queue, user, new, now(), address=request.remote_addr or ""
        )
    except SettingsError as exc:
        db.session.rollback()
        return _page({code: _error(exc.field)}, 400)
    db.session.commit()
    log.info("queue %s settings changed by user %s: %s", code, user.id, sorted(changed))
    flash(t("settings_saved" if changed else "settings_unchanged", code=code), "success")
    return redirect(url_for("dashboard_settings.settings_page") + f"#queue-{code}")


@bp.post("/agents/<int:user_id>/capacity")
def save_capacity(user_id: int) -> Response | tuple[str, int]:
    user = _user()
    visible = sa.select(Queue.id).where(Queue.is_active.is_(True), visible_queues_clause(user))
    agent = db.session.scalar(
        sa.select(User)
        .join(queue_member, queue_member.c.user_id == User.id)
        .where(User.id == user_id, queue_member.c.queue_id.in_(visible))
        .limit(1)
    )
    if agent is None:
        abort(404)
    try:
        capacity = _number("capacity", request.form.get("capacity"))
        assert capacity is not None
        set_capacity(db.session, agent, capacity, user, address=request.remote_addr or "")
    except SettingsError as exc:
        db.session.rollback()
        return _page({f"agent-{user_id}": _error(exc.field)}, 400)
    db.session.commit()
    flash(t("settings_capacity_saved", name=display_name(agent.name, agent.email)), "success")
    return redirect(url_for("dashboard_settings.settings_page") + "#agents")


@bp.post("/me/alert-email")
def save_alert_email() -> Response | tuple[str, int]:
    """The signed-in supervisor's own address for SLA alert e-mails (empty: none)."""
    user = _user()
    try:
        set_alert_email(
            db.session, user, request.form.get("alert_email"), ip_address=request.remote_addr or ""
        )
    except SettingsError:
        db.session.rollback()
        bad = f"{STRINGS['id']['settings_email_bad']} / {STRINGS['en']['settings_email_bad']}"
        return _page({"me": bad}, 400)
    db.session.commit()
    flash(t("settings_email_saved"), "success")
    return redirect(url_for("dashboard_settings.settings_page") + "#me")


@bp.post("/me/alert-whatsapp")
def save_alert_whatsapp() -> Response | tuple[str, int]:
    """The signed-in supervisor's own WhatsApp number for SLA alerts (`clear`: none)."""
    user = _user()
    typed = (request.form.get("alert_whatsapp") or "").strip()
    clear = request.form.get("clear") == "1"
    number = None if clear else normalise_phone(typed) if typed else user.alert_whatsapp
    try:
        if not clear and typed and number is None:
            raise SettingsError("alert_whatsapp")
        set_alert_whatsapp(db.session, user, number, ip_address=request.remote_addr or "")
    except SettingsError:
        db.session.rollback()
        bad = f"{STRINGS['id']['settings_wa_bad']} / {STRINGS['en']['settings_wa_bad']}"
        return _page({"me": bad}, 400)
    db.session.commit()
    flash(t("settings_wa_saved"), "success")
    return redirect(url_for("dashboard_settings.settings_page") + "#me")
