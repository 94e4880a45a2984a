from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pandawa.core.extensions import db
from pandawa.core.sqltypes import JSONDoc, UTCDateTime


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
    # the supervisory region the office belongs to (catalogue `region`, e.g. "DKI-JAKARTA"):
    # a regional supervisor's scope selects offices by it (tickets.scopes)
    region: Mapped[str | None] = mapped_column(String(64), index=True)


class OfficeClosure(db.Model):
    """An operator's change to an office's calendar for one local date.

    kind "closed": the office is shut that day (an extra closure, or a holiday the government
    moved here). kind "open": a holiday from the calendar package does not apply (the sidang
    isbat fixed Idul Fitri on another date); the weekly hours apply again.
    """

    __tablename__ = "office_closure"
    __table_args__ = (
        UniqueConstraint("office_id", "day"),
        CheckConstraint("kind IN ('closed', 'open')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfficeOverride(db.Model):
    """A supervisor opened early or closed for the day: [starts_at, ends_at) is forced open or
    closed whatever the weekly hours say. Rows are never edited: they are the record (an undo
    only stamps `revoked_at`/`revoked_by_id`, after which the calendar ignores the row)."""

    __tablename__ = "office_override"
    __table_args__ = (
        CheckConstraint("kind IN ('open', 'closed')", name="kind_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_office_override_office_id_ends_at", "office_id", "ends_at"),
        # issue 17: a queue is only ever closed on its own (an extra opening is the office's)
        CheckConstraint("queue_id IS NULL OR kind = 'closed'", name="queue_only_closed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # issue 17: one queue of the office closed (its tickets there are treated as closed);
    # NULL: the whole office
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queue.id", ondelete="CASCADE"))
    # an undo from the board: the row stays as the record, the calendar no longer obeys it
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
