"""The access audit for admins: `/admin/audit` (filters, pages, newest first), its CSV download
and `pandawa audit export`. Only masked values are shown or written; every export is itself
recorded (`audit_export`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import Response, abort, render_template, request, stream_with_context, url_for
from flask.cli import with_appcontext
from flask_login import current_user
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.admin.views import bp
from pandawa.audit.models import AuditEvent
from pandawa.audit.operations import ACTIONS, record
from pandawa.citizens.masking import mask_details, mask_text
from pandawa.core.csvcells import csv_line
from pandawa.core.extensions import db

ZONE = ZoneInfo("Asia/Jakarta")
PAGE_SIZE = 50
CSV_COLUMNS = [
    "id",
    "at",
    "action",
    "actor_id",
    "actor",
    "contact_id",
    "ticket_number",
    "field",
    "address",
    "details",
]
BOM = "\ufeff"


@dataclass(frozen=True)
class AuditFilter:
    first_day: date | None = None
    last_day: date | None = None
    action: str | None = None
    actor: str | None = None  # an email, or a label such as "cli"
    ticket: str | None = None

    def query_args(self) -> dict[str, str]:
        args = {
            "from": self.first_day.isoformat() if self.first_day else None,
            "to": self.last_day.isoformat() if self.last_day else None,
            "action": self.action,
            "actor": self.actor,
            "ticket": self.ticket,
        }
        return {k: v for k, v in args.items() if v}


def _day(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def filter_from_args(args: Any) -> AuditFilter:
    action = args.get("action") or None
    return AuditFilter(
        first_day=_day(args.get("from")),
        last_day=_day(args.get("to")),
        action=action if action in ACTIONS else None,
        actor=(args.get("actor") or "").strip()[:200] or None,
        ticket=(args.get("ticket") or "").strip()[:32] or None,
    )


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), ZONE)


def events_select(wanted: AuditFilter) -> sa.Select:
    """Audit rows matching `wanted`, newest first, with the actor's email."""
    stmt = sa.select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
    if wanted.first_day:
        stmt = stmt.where(AuditEvent.at >= _start(wanted.first_day))
    if wanted.last_day:
        stmt = stmt.where(AuditEvent.at < _start(wanted.last_day + timedelta(days=1)))
    if wanted.action:
        stmt = stmt.where(AuditEvent.action == wanted.action)
    if wanted.actor:
        actor = wanted.actor.lower()
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.email) == actor, sa.func.lower(AuditEvent.actor_label) == actor
            )
        )
    if wanted.ticket:
        stmt = stmt.where(AuditEvent.ticket_number == wanted.ticket)
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def shown(event: AuditEvent, email: str | None) -> dict[str, Any]:
    """One row as it may be shown or exported: any number in it masked."""
    return {
        "id": event.id,
        "at": event.at,
        "action": event.action,
        "actor_id": event.actor_id,
        "actor": mask_text(email or event.actor_label or ""),
        "contact_id": event.contact_id,
        "ticket_number": event.ticket_number,
        "field": mask_text(event.field or ""),
        "address": event.address,
        "details": mask_details(event.details or {}),
    }


def export_lines(session: Session, wanted: AuditFilter) -> Iterator[str]:
    """The CSV of the rows matching `wanted`: a header, then one line per row."""
    yield csv_line(CSV_COLUMNS)
    result = session.execute(events_select(wanted).execution_options(yield_per=500))
    for event, email in result:
        row = shown(event, email)
        row["at"] = row["at"].astimezone(ZONE).isoformat()
        row["details"] = ", ".join(f"{k}={v}" for k, v in row["details"].items())
        yield csv_line(row[name] for name in CSV_COLUMNS)


def _record_export(session: Session, wanted: AuditFilter, **who: Any) -> None:
    record(session, "audit_export", details={"filters": wanted.query_args()}, **who)


# --- the page ---------------------------------------------------------------------------------


@bp.get("/audit")
def audit_page() -> str:
    wanted = filter_from_args(request.args)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and int(page) > 0 else 1
    rows = db.session.execute(
        events_select(wanted).limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)
    ).all()
    args = wanted.query_args()
    return render_template(
        "admin/audit.html",
        rows=[shown(event, email) for event, email in rows[:PAGE_SIZE]],
        wanted=wanted,
        actions=sorted(ACTIONS),
        page=number,
        next_url=url_for("admin.audit_page", **args, page=number + 1)
        if len(rows) > PAGE_SIZE
        else None,
        previous_url=url_for("admin.audit_page", **args, page=number - 1) if number > 1 else None,
        csv_url=url_for("admin.audit_csv", **args),
    )


@bp.get("/audit.csv")
def audit_csv() -> Response:
    user = current_user._get_current_object()
    if user.role != "admin":  # the blueprint checks it too; an export never leaks by accident
        abort(403)
    wanted = filter_from_args(request.args)
    _record_export(
        db.session,
        wanted,
        actor_id=user.id,
        actor_label=user.email,
        address=request.remote_addr or "",
    )
    db.session.commit()
    lines = export_lines(db.session, wanted)
    response = Response(stream_with_context(_with_bom(lines)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="pandawa-audit.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield BOM
    yield from lines


# --- the command ------------------------------------------------------------------------------


@click.group()
def audit_group() -> None:
    """The access audit."""


@audit_group.command("export")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="first day (WIB)")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="last day (WIB)")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="default: stdout")
@with_appcontext
def export_command(first: datetime | None, last: datetime | None, output: str | None) -> None:
    """Write the audit rows (masked) as CSV, newest first; the export is itself recorded."""
    wanted = AuditFilter(
        first_day=first.date() if first else None, last_day=last.date() if last else None
    )
    _record_export(db.session, wanted, actor_label="cli", address="cli")
    db.session.commit()
    lines = export_lines(db.session, wanted)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(lines)
    else:
        sys.stdout.writelines(lines)
    db.session.rollback()
