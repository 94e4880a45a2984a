"""The simulator: a page that plays a citizen's WhatsApp phone (WHATSAPP_PROVIDER=simulator).

What the citizen types goes through the same door as a Twilio webhook (`store_inbound`), so
the bot, tickets and agents cannot tell the difference; replies are read back from the
message table, where the simulator provider marks them delivered.

The page is the citizen's phone, and like a provider that reports when the citizen sent a
message (Meta's `timestamp`), it sends `sent_at`: the phone's clock when the citizen pressed
send. The bot handles one citizen's messages in that order, even when two requests in flight
reach two web workers the other way round. It is the phone's clock, not the business clock
(a rehearsal clock may stand elsewhere): it only orders the citizen's own messages. A client
that sends none (a script, a test) gets the arrival time, as with Twilio.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify, render_template, request

from pandawa.catalog.offices import OfficeSpec
from pandawa.catalog.queries import CatalogMissing, active_catalog
from pandawa.channels.ingest import InboundMessage, store_inbound
from pandawa.channels.models import Message
from pandawa.core.clock import as_utc
from pandawa.core.extensions import db

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    template_folder="templates",
    static_folder="static",
)

DEFAULT_CITIZEN = "whatsapp:+6281234567890"
DEFAULT_NAME = "Siti Rahayu"
PAGE_SIZE = 200
RECENT = 30  # rows whose status the page refreshes (ticks, delivery)
ZONE_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
_NUMBER = re.compile(r"^\+[1-9]\d{6,14}$")


@bp.get("")
def page() -> str:
    offices = _offices()
    return render_template(
        "simulator/index.html",
        citizen=normalise_citizen(request.args.get("citizen", "")) or DEFAULT_CITIZEN,
        name=request.args.get("name", DEFAULT_NAME)[:100],
        offices=offices,
        numbers=list(dict.fromkeys(office.whatsapp for office in offices)),
        timezone=offices[0].timezone if offices else "Asia/Jakarta",
    )


@bp.get("/messages")
def messages() -> tuple[Response, int] | Response:
    citizen = normalise_citizen(request.args.get("citizen", ""))
    if not citizen:
        return _error("citizen", "Nomor warga tidak valid / invalid citizen number")
    after = request.args.get("after", "0")
    if not after.isdigit():
        return _error("after", "`after` harus bilangan / must be a message id")
    mine = sa.or_(
        sa.and_(Message.direction == "in", Message.sender == citizen),
        sa.and_(Message.direction == "out", Message.recipient == citizen),
    )
    visible = sa.and_(mine, Message.is_internal_note.is_(False))
    rows = db.session.scalars(
        sa.select(Message)
        .where(visible, Message.id > int(after))
        .order_by(Message.id)
        .limit(PAGE_SIZE)
    ).all()
    recent = db.session.execute(
        sa.select(Message.id, Message.status)
        .where(visible)
        .order_by(Message.id.desc())
        .limit(RECENT)
    ).all()
    zone = _zone(_offices())
    return jsonify(
        items=[_item(row, zone) for row in rows],
        recent=[{"id": id_, "status": status} for id_, status in recent],
        last_id=rows[-1].id if rows else int(after),
    )


@bp.post("/messages")
def send() -> tuple[Response, int]:
    data = (request.get_json(silent=True) or {}) if request.is_json else request.form.to_dict()
    if not isinstance(data, dict):
        return _error("body", "Kirim objek JSON / expected a JSON object")
    citizen = normalise_citizen(str(data.get("citizen", "")))
    body = data.get("body")
    name = str(data.get("name") or "").strip()[:100]
    sent_at = parse_sent_at(data.get("sent_at"))
    if not citizen:
        return _error("citizen", "Nomor warga tidak valid / invalid citizen number")
    if not isinstance(body, str) or not body.strip():
        return _error("body", "Pesan kosong / the message is empty")
    if sent_at is False:
        return _error(
            "sent_at",
            "`sent_at` harus waktu ISO 8601 dengan zona waktu / "
            "must be an ISO 8601 time with an offset",
        )
    offices = _offices()
    if not offices:
        return _error(
            "no_catalogue",
            "Katalog layanan belum dimuat; jalankan `pandawa catalog load` / "
            "no service catalogue loaded yet",
            409,
        )
    numbers = {office.whatsapp for office in offices}
    to = data.get("to")
    recipient = to if to in numbers else offices[0].whatsapp
    extra = {"WaId": citizen.removeprefix("whatsapp:+")}
    if name:
        extra["ProfileName"] = name
    new_id = store_inbound(
        db.session,
        InboundMessage(
            provider="simulator",
            provider_message_id="SIM" + uuid.uuid4().hex,
            sender=citizen,
            recipient=recipient,
            body=body,
            extra=extra,
            sent_at=sent_at,
        ),
    )
    db.session.commit()
    return jsonify(id=new_id), 201


def normalise_citizen(value: str) -> str | None:
    """`whatsapp:+62…`, `+62…`, `62…` or `08…` → `whatsapp:+62…`; None when not a number."""
    number = re.sub(r"[\s\-()]", "", value.strip().removeprefix("whatsapp:"))
    if number.startswith("0"):
        number = "+62" + number[1:]
    elif number and not number.startswith("+"):
        number = "+" + number
    return f"whatsapp:{number}" if _NUMBER.match(number) else None


def parse_sent_at(value: object) -> datetime | Literal[False] | None:
    """The phone's send time (`2026-12-01T03:00:00.123Z`) as aware UTC; None when not given;
    False when given but not an ISO 8601 instant with an offset."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return False
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    if at.tzinfo is None:
        return False
    return as_utc(at)


def _offices() -> list[OfficeSpec]:
    """The catalogue's offices; the first one's number is where the citizen writes by default."""
    try:
        return list(active_catalog().offices)
    except CatalogMissing:
        return []


def _zone(offices: list[OfficeSpec]) -> tuple[ZoneInfo, str]:
    name = offices[0].timezone if offices else "Asia/Jakarta"
    return ZoneInfo(name), ZONE_LABELS.get(name, "")


def _item(row: Message, zone: tuple[ZoneInfo, str]) -> dict[str, Any]:
    tz, label = zone
    created: datetime = as_utc(row.created_at)  # type: ignore[assignment]
    local = created.astimezone(tz)
    if row.direction == "in":
        author = "citizen"
    else:
        author = "agent" if row.author_id else "bot"
    return {
        "id": row.id,
        "direction": row.direction,
        "author": author,
        "body": row.body,
        "template": row.content_sid if not row.body else None,
        # an agent's file (the phone shows its name; the simulator fetches nothing)
        "files": [
            item.get("filename") or item.get("content_type") or "?"
            for item in (row.media or [])
            if row.direction == "out" and isinstance(item, dict)
        ],
        "status": row.status,
        "created_at": local.isoformat(),
        "time": f"{local:%H.%M} {label or local.tzname()}",
    }


def _error(code: str, message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status
