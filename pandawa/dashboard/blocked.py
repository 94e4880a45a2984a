"""`/dashboard/blocked`: the numbers staff blocked (tickets.blocking), for supervisors and
admins — masked number and name, the reason, who blocked it and when, how many messages the
number sent since (stored, never answered) and the latest of them, masked; with *Buka blokir /
Unblock* (POST + CSRF, audited). Agents get the dashboard's 403 page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from pandawa.accounts.models import User, display_name
from pandawa.channels.models import Message
from pandawa.citizens.masking import mask_phone
from pandawa.citizens.models import Contact
from pandawa.core.clock import as_utc
from pandawa.core.extensions import db
from pandawa.core.masking import mask_text
from pandawa.dashboard import i18n as dashboard_i18n
from pandawa.dashboard.access import require_supervisor
from pandawa.dashboard.exports import mask_name
from pandawa.dashboard.scopes import my_scope
from pandawa.hours.formatting import format_local
from pandawa.tickets.blocking import unblock_contact
from pandawa.tickets.queries import visible_contacts_clause
from pandawa.web.i18n import language
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint(
    "dashboard_blocked", __name__, url_prefix="/dashboard/blocked", static_folder=None
)
bp.before_request(require_supervisor)
LIMIT = 200  # blocked numbers shown, newest block first
LATEST = 3  # latest messages shown per number
ZONE = "Asia/Jakarta"

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "blocked_title": "Nomor diblokir",
        "blocked_intro": "Pesan dari nomor yang diblokir tetap tersimpan, tetapi tidak dibalas "
        "bot dan tidak masuk antrean petugas.",
        "blocked_none": "Tidak ada nomor yang diblokir.",
        "blocked_number": "Nomor",
        "blocked_name": "Nama",
        "blocked_reason_col": "Alasan",
        "blocked_by": "Diblokir oleh",
        "blocked_when": "Sejak",
        "blocked_messages": "Pesan sejak diblokir",
        "blocked_latest": "Pesan terakhir",
        "unblock": "Buka blokir",
        "unblocked_flash": "Blokir nomor dibuka; warga kembali dilayani seperti biasa.",
        "not_blocked": "Nomor ini tidak sedang diblokir.",
        "nav_blocked": "Nomor diblokir",
    },
    "en": {
        "blocked_title": "Blocked numbers",
        "blocked_intro": "Messages from these numbers are still stored, but the bot does not "
        "answer them and they never reach the agents' queues.",
        "blocked_none": "No number is blocked.",
        "blocked_number": "Number",
        "blocked_name": "Name",
        "blocked_reason_col": "Reason",
        "blocked_by": "Blocked by",
        "blocked_when": "Since",
        "blocked_messages": "Messages since the block",
        "blocked_latest": "Latest messages",
        "unblock": "Unblock",
        "unblocked_flash": "Number unblocked; the citizen is served as usual again.",
        "not_blocked": "This number is not blocked.",
        "nav_blocked": "Blocked numbers",
    },
}


def t(key: str, **values: object) -> str:
    text = STRINGS[language()].get(key) or STRINGS["id"].get(key)
    if text is None:
        return dashboard_i18n.t(key, **values)
    return text.format(**values) if values else text


@dataclass(frozen=True)
class BlockedRow:
    contact_id: int
    phone: str
    name: str
    reason: str
    by: str
    since: str
    messages: int
    latest: list[str]


@bp.context_processor
def page_globals() -> dict[str, Any]:
    return {"t": t, "my_scope": my_scope(current_user)}


@bp.get("")
def blocked_page() -> str:
    user = current_user._get_current_object()
    rows = blocked_rows(db.session, language(), visible_contacts_clause(user))
    return render_template("dashboard/blocked.html", rows=rows)


@bp.post("/<int:contact_id>/unblock")
def unblock(contact_id: int) -> Response:
    # a number outside a scoped supervisor's offices is absent (issue 17)
    user = current_user._get_current_object()
    contact = db.session.scalar(
        sa.select(Contact)
        .where(Contact.id == contact_id, visible_contacts_clause(user))
        .with_for_update()
    )
    if contact is None:
        abort(404)
    done = unblock_contact(
        db.session, contact, current_user._get_current_object(), address=request.remote_addr or ""
    )
    db.session.commit()
    flash(t("unblocked_flash" if done else "not_blocked"), "success" if done else "info")
    return redirect(url_for("dashboard_blocked.blocked_page"))


def blocked_rows(
    session: Session, lang: str, visible: sa.ColumnElement[bool] | None = None
) -> list[BlockedRow]:
    """Every blocked number (newest block first, up to LIMIT) in two queries: the contacts with
    their blocker and message count, then the latest messages of all of them at once."""
    since_block = (
        sa.select(sa.func.count(Message.id))
        .where(
            Message.direction == "in",
            Message.provider == Contact.provider,
            Message.sender == Contact.address,
            Message.created_at >= Contact.blocked_at,
        )
        .correlate(Contact)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Contact, User.name, User.email, since_block)
        .outerjoin(User, User.id == Contact.blocked_by_id)
        .where(Contact.blocked_at.is_not(None), visible if visible is not None else sa.true())
        .order_by(Contact.blocked_at.desc(), Contact.id.desc())
        .limit(LIMIT)
    ).all()
    latest = _latest_messages(session, [contact for contact, *_ in rows])
    return [
        BlockedRow(
            contact_id=contact.id,
            phone=mask_phone(contact.address),
            name=mask_name(contact.name or "") or "–",
            reason=mask_text(contact.blocked_reason or ""),
            by=display_name(name, email) if email else "–",
            since=_when(contact.blocked_at, lang),
            messages=int(count or 0),
            latest=latest.get((contact.provider, contact.address), []),
        )
        for contact, name, email, count in rows
    ]


def _latest_messages(session: Session, contacts: list[Contact]) -> dict[tuple[str, str], list[str]]:
    if not contacts:
        return {}
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(Message.provider, Message.sender),
            order_by=(Message.created_at.desc(), Message.id.desc()),
        )
        .label("rank")
    )
    recent = (
        sa.select(Message.provider, Message.sender, Message.body, rank)
        .where(
            Message.direction == "in",
            Message.sender.in_({c.address for c in contacts}),
        )
        .subquery()
    )
    found: dict[tuple[str, str], list[str]] = {}
    for provider, sender, body, _rank in session.execute(
        sa.select(recent).where(recent.c.rank <= LATEST).order_by(recent.c.rank)
    ):
        found.setdefault((provider, sender), []).append(mask_text(body or ""))
    return found


def _when(at: datetime | None, lang: str) -> str:
    at = as_utc(at)
    return format_local(at, ZONE, lang) if at else "–"
