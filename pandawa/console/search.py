"""The console's ticket search, /console/search: one form (text, where to look, status, dates),
results masked as everywhere (phone numbers, NIK in the matching message), within the user's
sight (an agent: her queues only), newest first, in keyset pages (pandawa/tickets/search.py).

Keyboard first: `/` focuses the search box from any console page (shell.js), Enter searches,
↑/↓ move through the results and Enter opens one (console/search.js); Tab works as always.
A GET form: nothing changes, so no CSRF token, and a search is a link one can keep.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask_login import current_user

from pandawa.accounts import presence
from pandawa.console.search_i18n import t
from pandawa.core.extensions import db
from pandawa.tickets.models import TICKET_STATUSES
from pandawa.tickets.search import (
    FIELDS,
    SearchError,
    SearchPage,
    SearchQuery,
    audit_phone_search,
    day_range,
    search_tickets,
)
from pandawa.web.auth import login_manager
from pandawa.web.shell import page_blueprint

bp = page_blueprint(
    "console_search", __name__, url_prefix="/console", static_url_path="/search-static"
)


@bp.before_request
def require_user() -> Any:
    if request.endpoint == "console_search.static":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.context_processor
def strings() -> dict[str, Any]:
    return {"t": t}


@bp.get("/search")
def search() -> str:
    user = current_user._get_current_object()
    form = {
        "q": (request.args.get("q") or "").strip(),
        "field": request.args.get("field") or "all",
        "status": [s for s in request.args.getlist("status") if s],
        "from": request.args.get("from") or "",
        "to": request.args.get("to") or "",
    }
    error, page, query, audited = None, None, None, False
    try:
        query = _query(form)
    except SearchError as exc:
        error = t(exc.code)
    if query is not None and not query.is_empty:
        try:
            page = search_tickets(
                db.session,
                user,
                query,
                older_than=_cursor("older"),
                newer_than=_cursor("newer"),
            )
        except SearchError as exc:
            error = t(exc.code)
        else:
            audited = audit_phone_search(db.session, user, query, page, request.remote_addr or "")
    html = render_template(
        "console/search.html",
        form=form,
        fields=FIELDS,
        statuses=TICKET_STATUSES,
        page=page or SearchPage(),
        searched=page is not None,
        error=error,
        # the search again, for the pager's links (the cursor added there)
        again={k: v for k, v in form.items() if v and (k, v) != ("field", "all")},
        presence=presence.get_presence(user),
    )
    if audited:
        db.session.commit()  # after rendering: the page's rows are not loaded again
    return html


def _query(form: dict[str, Any]) -> SearchQuery:
    first, last = _date(form["from"]), _date(form["to"])
    if first and last and first > last:
        raise SearchError("dates_reversed")
    created_from, created_to = day_range(first, last)
    return SearchQuery(
        text=form["q"],
        field=form["field"],
        statuses=tuple(form["status"]),
        created_from=created_from,
        created_to=created_to,
    )


def _date(raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SearchError("bad_date") from None


def _cursor(name: str) -> int | None:
    raw = request.args.get(name) or ""
    return int(raw) if raw.isdigit() else None
