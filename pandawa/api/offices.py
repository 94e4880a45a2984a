"""Office hours in the JSON API: which offices are open, and a supervisor's open-now/close-now.

Same bearer authentication and error shape as the rest of /api/v1 (pandawa/api). Each
state-changing view commits once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request

from pandawa.accounts.models import User
from pandawa.api.serializers import iso
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.hours import operations, queries
from pandawa.hours.calendar import CalendarError, OfficeCalendar
from pandawa.hours.formatting import format_local, zone_abbreviation
from pandawa.hours.models import Office, OfficeOverride
from pandawa.tickets.queries import visible_offices_clause
from pandawa.web.errors import ApiError, json_object, not_found, register_error_handlers
from pandawa.web.tokens import authenticate, commit_token_touch, current_user

bp = Blueprint("hours_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
bp.after_request(commit_token_touch)
register_error_handlers(bp)

MANAGER_ROLES = ("supervisor", "admin")


@bp.get("/offices")
def list_offices() -> dict[str, Any]:
    at = now()
    calendars = queries.calendars_for_offices(db.session)
    # a scoped supervisor's offices only (issue 17); everyone else sees every office
    visible = set(
        db.session.scalars(sa.select(Office.id).where(visible_offices_clause(current_user())))
    )
    # the offices are in the session's identity map already: get() does not query again
    offices = sorted(
        (db.session.get(Office, office_id) for office_id in calendars if office_id in visible),
        key=lambda o: o.code,
    )
    return {
        "items": [office_json(o, calendars[o.id], at) for o in offices if o is not None],
        "next_cursor": None,
    }


@bp.post("/offices/<code>/open-now")
def open_now(code: str) -> tuple[dict[str, Any], int]:
    return _override(code, "open")


@bp.post("/offices/<code>/close-now")
def close_now(code: str) -> tuple[dict[str, Any], int]:
    return _override(code, "closed")


def _override(code: str, kind: str) -> tuple[dict[str, Any], int]:
    user = current_user()
    if user.role not in MANAGER_ROLES:
        raise ApiError(
            403,
            "forbidden",
            "Hanya supervisor atau admin yang dapat membuka atau menutup kantor. / "
            "Only supervisors and admins can open or close an office.",
        )
    reason = _reason()
    office = queries.office_by_code(db.session, code)
    if office is None or not office.is_active or not _visible(office, user):
        raise not_found(f"Kantor {code}", f"Office {code}")
    at = now()
    row = operations.override_now(db.session, office, kind, at, actor_id=user.id, reason=reason)
    body = office_json(office, queries.calendar_for(db.session, office), at)
    body["override"] = override_json(row, user.email)
    db.session.commit()
    return body, 200


def _visible(office: Office, user: User) -> bool:
    """Outside a scoped supervisor's offices an office is absent: 404, as if unknown."""
    stmt = sa.select(Office.id).where(Office.id == office.id, visible_offices_clause(user))
    return db.session.scalar(stmt) is not None


def _reason() -> str:
    if not request.get_data(cache=True).strip():
        return ""
    payload = json_object()
    reason = payload.get("reason", "")
    if reason is None:
        return ""
    if not isinstance(reason, str) or len(reason) > operations.MAX_REASON:
        raise ApiError(
            422,
            "invalid_parameter",
            f"Kolom reason harus teks ≤ {operations.MAX_REASON} karakter. / "
            f"reason must be text of at most {operations.MAX_REASON} characters.",
        )
    return reason.strip()


def office_json(office: Office, calendar: OfficeCalendar, at: datetime) -> dict[str, Any]:
    is_open = calendar.is_open(at)
    try:
        change = calendar.next_closing(at) if is_open else calendar.next_opening(at)
    except CalendarError:  # never opens (or never closes) within the horizon
        change = None
    return {
        "code": office.code,
        "name": office.name,
        "timezone": office.timezone,
        "zone_abbreviation": zone_abbreviation(office.timezone, at),
        "is_open_now": is_open,
        "next_change_at": iso(change),
        "next_change_local": format_local(change, office.timezone, "id") if change else None,
    }


def override_json(row: OfficeOverride, actor_email: str | None) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "starts_at": iso(row.starts_at),
        "ends_at": iso(row.ends_at),
        "reason": row.reason,
        "actor": actor_email,
    }
