"""Jinja filters and globals of the browser pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from pandawa.channels.contract import contract_status
from pandawa.citizens.masking import mask_phone, mask_text
from pandawa.core.clock import as_utc
from pandawa.hours.formatting import format_local
from pandawa.web.i18n import detail_label, language, t
from pandawa.web.whatsapp import whatsapp

DISPLAY_ZONE = ZoneInfo("Asia/Jakarta")


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    minutes = max(0, int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} j {minutes} m" if language() == "id" else f"{hours} h {minutes} min"
    return f"{minutes} m" if language() == "id" else f"{minutes} min"


def local_time(value: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    at = as_utc(value)
    if at is None:
        return "–"
    return at.astimezone(DISPLAY_ZONE).strftime(fmt) + " WIB"


def local_long(value: datetime | None, zone: str | None = None) -> str:
    """The moment in the office's zone, in the page's language and the Indonesian form:
    "Rabu, 2 Desember 2026 pukul 10.00 WIB" (for a deadline the agent must read exactly)."""
    at = as_utc(value)
    if at is None:
        return "–"
    return format_local(at, zone or DISPLAY_ZONE.key, language())


def preview(text: str | None, length: int = 80) -> str:
    value = " ".join((text or "").split())
    return value if len(value) <= length else value[: length - 1] + "…"


def register_filters(app: Flask) -> None:
    app.add_template_filter(mask_phone, "mask_phone")
    # every message body, preview and note a page shows: NIK, KK and phone numbers masked
    app.add_template_filter(lambda text: mask_text(text or ""), "mask_text")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_long, "local_long")
    app.add_template_filter(preview, "preview")
    app.add_template_filter(detail_label, "detail_label")
    # message bodies as WhatsApp shows them: escaped, then bold, italic, strike, monospace
    app.add_template_filter(whatsapp, "whatsapp")
    app.add_template_filter(contract_status, "contract_status")
    app.add_template_global(t, "t")
    app.add_template_global(language, "ui_language")
