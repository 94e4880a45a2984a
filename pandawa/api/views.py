"""The JSON API under /api/v1: agents' and supervisors' clients, described by openapi.json.
(The media downloads are routes of the same blueprint, in media.py; importing this module
registers both.)

Each state-changing view commits once, after the operation and the answer are ready.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map

from pandawa.accounts.models import User
from pandawa.api import search as api_search
from pandawa.api import serializers
from pandawa.api.blueprint import bp
from pandawa.api.openapi import openapi_document
from pandawa.core.clock import now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.reports.board import live_queues, queue_counts
from pandawa.reports.figures import Figures, figures
from pandawa.reports.scope import Scope, scope_for_days
from pandawa.reports.snapshots import page_figures
from pandawa.tickets import claims, operations, queries
from pandawa.tickets.checklist.queries import ticket_checklist
from pandawa.tickets.models import OPEN_STATUSES, TICKET_STATUSES, Ticket
from pandawa.tickets.queries import visibility_clause, visible_queues_clause
from pandawa.web import reveal as revealing
from pandawa.web.errors import (
    ApiError,
    error_response,
    json_object,
    not_found,
)
from pandawa.web.tokens import current_user

STATS_TIMEZONE = "Asia/Jakarta"
MAX_STATS_DAYS = 366


@bp.get("/openapi.json")
def openapi() -> Response:
    settings = current_settings()
    return jsonify(openapi_document(settings.public_base_url))


@bp.get("/queues")
def list_queues() -> dict[str, Any]:
    # the board's counts (pandawa.reports.definitions): one definition of waiting and deferred
    user = current_user()
    rows = queue_counts(db.session, visible_queues_clause(user), tickets=visibility_clause(user))
    return {"items": [serializers.queue_json(row) for row in rows], "next_cursor": None}


@bp.get("/tickets")
def list_tickets() -> dict[str, Any]:
    if api_search.is_search(request.args):
        return api_search.search_json(
            current_user(),
            request.args,
            statuses=_csv_arg("status"),
            queue_codes=_csv_arg("queue"),
            first=_date_arg("from"),
            last=_date_arg("to"),
            limit=_limit(),
            address=request.remote_addr or "",
        )
    statuses = _csv_arg("status") or list(OPEN_STATUSES)
    unknown = [s for s in statuses if s not in TICKET_STATUSES]
    if unknown:
        raise _bad_parameter(
            "status", f"{', '.join(unknown)}; expected {', '.join(TICKET_STATUSES)}"
        )
    after_id = None
    if request.args.get("cursor"):
        try:
            after_id = queries.decode_cursor(request.args["cursor"])
        except ValueError:
            raise ApiError(400, "invalid_cursor", "Kursor tidak valid. / Invalid cursor.") from None
    page = queries.list_tickets(
        current_user(),
        statuses=statuses,
        queue_codes=_csv_arg("queue"),
        after_id=after_id,
        limit=_limit(),
    )
    return {
        "items": [serializers.ticket_json(ticket, contact) for ticket, contact in page.rows],
        "next_cursor": page.next_cursor,
    }


@bp.get("/tickets/<number>")
def ticket_detail(number: str) -> dict[str, Any]:
    found = queries.visible_ticket_detail(number, current_user())
    if found is None:
        raise _ticket_not_found(number)
    return _detail(found)


@bp.post("/tickets/<number>/reveal")
def reveal(number: str) -> Any:
    """One masked value in full (`phone`, `details.<key>`, `message.<id>`), recorded in the
    access audit. Role first (403 says nothing of the ticket), then sight (404)."""
    payload = json_object()
    user = current_user()
    if not revealing.may_reveal(user):
        raise ApiError(
            403,
            "forbidden",
            "Peran Anda tidak boleh menampilkan data pribadi. / "
            "Your role may not reveal personal data.",
        )
    ticket = _visible_ticket(number)
    field = payload.get("field")
    if not isinstance(field, str) or not field:
        raise ApiError(
            422,
            "invalid_parameter",
            "Kolom field wajib diisi. / Field field is required.",
        )
    try:
        value = revealing.reveal(db.session, user, ticket, field, request.remote_addr or "")
    except revealing.UnknownField:
        raise not_found(f"Data {field}", f"Field {field}") from None
    db.session.commit()
    response = jsonify(field=field, value=value)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tickets/claim")
def claim() -> Any:
    claimed = claims.claim(db.session, current_user())
    if claimed is None:
        db.session.commit()
        return Response(status=204)
    body = _detail(queries.ticket_detail(claimed.id))
    db.session.commit()
    return body, 200


@bp.post("/tickets/<number>/messages")
def post_message(number: str) -> Any:
    payload = json_object()
    user = current_user()
    ticket = _visible_ticket(number, for_update=True)
    messages = operations.reply(db.session, ticket, user, payload.get("body"))
    parts = [serializers.message_json(m, user.email) for m in messages]
    body = {**parts[0], "parts": parts} if parts else {"parts": []}
    db.session.commit()
    return body, 202


@bp.post("/tickets/<number>/transfer")
def transfer(number: str) -> Any:
    payload = json_object()
    queue_code, reason = payload.get("queue"), payload.get("reason")
    if not isinstance(queue_code, str) or not queue_code.strip():
        raise ApiError(
            422,
            "unknown_queue",
            "Kolom queue (kode antrean) wajib diisi. / Field queue (a code) is required.",
        )
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise ApiError(
            422,
            "invalid_parameter",
            "Kolom reason harus teks ≤ 500 karakter. / reason must be text ≤ 500 chars.",
        )
    ticket = _visible_ticket(number, for_update=True)
    operations.transfer(db.session, ticket, current_user(), queue_code, reason=reason)
    body = serializers.ticket_json(ticket, queries.contact_of(ticket))
    db.session.commit()
    return body, 200


@bp.post("/tickets/<number>/resolve")
def resolve(number: str) -> Any:
    ticket = _visible_ticket(number, for_update=True)
    operations.resolve(db.session, ticket, current_user())
    body = serializers.ticket_json(ticket, queries.contact_of(ticket))
    db.session.commit()
    return body, 200


@bp.get("/stats/queues")
def queue_stats() -> dict[str, Any]:
    """The board's live figures and the figures page's range figures, per visible queue:
    the same definitions and numbers (pandawa.reports.definitions)."""
    user = current_user()
    scope = _stats_scope()
    live = live_queues(
        db.session, visible_queues_clause(user), now(), tickets=visibility_clause(user)
    )
    by_code = {f.key: f for f in _range_figures(user, scope, "queue")}
    return {
        "items": [serializers.queue_stats_json(row, by_code.get(row.code)) for row in live],
        "next_cursor": None,
        "range": _range_json(scope),
    }


@bp.get("/stats/agents")
def agent_stats() -> dict[str, Any]:
    """Per agent, over tickets created in the range; an agent gets their own row only."""
    user = current_user()
    scope = _stats_scope()
    rows = _range_figures(user, scope, "agent")
    return {
        "items": [serializers.agent_stats_json(row) for row in rows],
        "next_cursor": None,
        "range": _range_json(scope),
    }


def _range_figures(user: User, scope: Scope, by: str) -> list[Figures]:
    """Supervisors share the dashboard's figures snapshots (reports/snapshots.py); an
    agent's figures, over their own queues, are computed for them."""
    if not user.sees_all_queues:
        return figures(db.session, user, scope, by=by)  # type: ignore[arg-type]
    page = page_figures(db.session, user, scope)
    db.session.commit()  # a snapshot computed here is kept for the next request
    return page.by_queue if by == "queue" else page.by_agent


def _stats_scope() -> Scope:
    """?from&to (inclusive local dates; default: today) and ?tz (default Asia/Jakarta)."""
    zone_name = request.args.get("tz") or STATS_TIMEZONE
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad_parameter("tz", f"{zone_name!r} is not an IANA time zone") from None
    today = now().astimezone(zone).date()
    last = _date_arg("to") or today
    first = _date_arg("from") or last
    if first > last:
        raise _bad_parameter("from", "from is after to")
    if (last - first).days >= MAX_STATS_DAYS:
        raise _bad_parameter("to", f"the range is longer than {MAX_STATS_DAYS} days")
    return scope_for_days(first, last, zone_name)


def _range_json(scope: Scope) -> dict[str, str]:
    return {
        "from": scope.first_day.isoformat(),
        "to": scope.last_day.isoformat(),
        "timezone": scope.timezone,
    }


@bp.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(path: str) -> Response:
    """Unknown API routes answer in the API's error shape (404, or 405 for a known path)."""
    allowed = _allowed_methods(request.path)
    if allowed:
        return error_response(
            405,
            "method_not_allowed",
            "Metode tidak diizinkan. / Method not allowed.",
            {"Allow": ", ".join(sorted(allowed))},
        )
    return error_response(404, "not_found", "Alamat API tidak dikenal. / Unknown API route.")


# -- helpers -------------------------------------------------------------------------------


def _visible_ticket(number: str, *, for_update: bool = False) -> Ticket:
    ticket = queries.get_visible_ticket(number, current_user(), for_update=for_update)
    if ticket is None:
        raise _ticket_not_found(number)
    return ticket


def _ticket_not_found(number: str) -> ApiError:
    # the same answer for "absent" and "not yours": existence is not disclosed
    return not_found(f"Tiket {number}", f"Ticket {number}")


def _detail(found: queries.TicketDetail) -> dict[str, Any]:
    ticket = found.ticket
    messages = queries.ticket_messages(ticket.id)
    data = serializers.ticket_detail_json(ticket, found.contact, messages)
    data["window"] = serializers.window_json(found.last_inbound_at, now())
    data["wait_seconds"] = ticket.wait_seconds
    data["wait_business_seconds"] = ticket.wait_business_seconds
    data["checklist"] = serializers.checklist_json(
        ticket.number, ticket_checklist(db.session, ticket.id)
    )
    return data


def _csv_arg(name: str) -> list[str]:
    values = []
    for raw in request.args.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return queries.DEFAULT_LIMIT
    if not raw.isdigit() or int(raw) < 1:
        raise _bad_parameter("limit", f"{raw!r}; expected 1 to {queries.MAX_LIMIT}")
    return min(int(raw), queries.MAX_LIMIT)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad_parameter(name, f"{raw!r}; expected a date YYYY-MM-DD") from None


def _bad_parameter(name: str, detail: str) -> ApiError:
    return ApiError(
        400,
        "invalid_parameter",
        f"Parameter {name} tidak valid: {detail}. / Invalid parameter {name}: {detail}.",
    )


# every blueprint serving under /api/v1 (the offices endpoints live with the calendars)
API_BLUEPRINTS = ("api.", "hours_api.")


def _allowed_methods(path: str) -> set[str]:
    """Methods the API's real routes accept at `path` (empty when none matches it)."""
    routes = current_app.extensions.get("pandawa.api_routes")
    if routes is None:
        rules = [
            rule.empty()
            for rule in current_app.url_map.iter_rules()
            if rule.endpoint.startswith(API_BLUEPRINTS) and rule.endpoint != f"{bp.name}.unknown"
        ]
        routes = current_app.extensions["pandawa.api_routes"] = Map(rules)
    try:
        routes.bind("api").match(path, method="--")  # no rule accepts "--"
    except MethodNotAllowed as exc:
        return set(exc.valid_methods or ())
    except (NotFound, HTTPException):
        return set()
    return set()
