from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pandawa.extensions import db
from pandawa.sqltypes import JSONDoc, UTCDateTime


class Office(db.Model):
    """A service office: its sender number, time zone and weekly hours (from the catalogue)."""

    __tablename__ = "office"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # the WhatsApp sender id citizens write to, e.g. "whatsapp:+6281100001111"; several
    # offices may share one number (the bot then asks the citizen's region)
    whatsapp_address: Mapped[str] = mapped_column(String(64), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # {"mon": [["08:00", "15:00"]], ...}; the calendar in hours/ reads it
    weekly_hours: Mapped[dict] = mapped_column(JSONDoc)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
