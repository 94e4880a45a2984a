"""Jinja filters and globals of the browser pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from pandawa.channels.contract import contract_status
from pandawa.citizens.masking import mask_phone, mask_text
from pandawa.core.clock import as_utc
from pandawa.web.i18n import detail_label, language, t

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


def preview(text: str | None, length: int = 80) -> str:
    value = " ".join((text or "").split())
    return value if len(value) <= length else value[: length - 1] + "…"


def register_filters(app: Flask) -> None:
    app.add_template_filter(mask_phone, "mask_phone")
    # every message body, preview and note a page shows: NIK, KK and phone numbers masked
    app.add_template_filter(lambda text: mask_text(text or ""), "mask_text")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(preview, "preview")
    app.add_template_filter(detail_label, "detail_label")
    app.add_template_filter(contract_status, "contract_status")
    app.add_template_global(t, "t")
    app.add_template_global(language, "ui_language")
