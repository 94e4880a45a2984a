from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from pandawa.core.extensions import db
from pandawa.core.sqltypes import JSONDoc, UTCDateTime


class FiguresSnapshot(db.Model):
    """One range's figures page, computed by a worker or an earlier request (snapshots.py)."""

    __tablename__ = "figures_snapshot"

    # the range and its filters, e.g. "figures?from=2026-11-02&office=JKT&to=2026-12-01"
    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict] = mapped_column(JSONDoc)


class StaffingForecast(db.Model):
    """An office's staffing forecast for one local day, stored when it was made (reports/
    forecast.py): per queue, arrivals and load per local hour and the agents recommended.
    One per office and day; the board sets it beside what happened."""

    __tablename__ = "staffing_forecast"
    __table_args__ = (sa.UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)  # the office's local date
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    weeks: Mapped[int]  # weeks of history it was made from
    # {"queues": [{"queue_id", "arrivals": [24], "offered": [24], "agents": [24 int|null],
    #   "backlog", "handle_seconds", "sla_seconds", "capacity"}]}
    payload: Mapped[dict] = mapped_column(JSONDoc)


class SlaAlert(db.Model):
    """A ticket crossed 80 % or 100 % of one of its queue's targets (issue 17): one row per
    ticket, kind and level, whatever the number of beats (the unique constraint); shown on the
    board until a supervisor acknowledges it or the ticket no longer waits for that target."""

    __tablename__ = "sla_alert"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "kind", "level", name="uq_sla_alert_ticket_kind_level"),
        sa.CheckConstraint("kind IN ('first_response', 'resolution')", name="kind_known"),
        sa.CheckConstraint("level IN (80, 100)", name="level_known"),
        # the board: the unacknowledged alerts, newest first
        sa.Index(
            "ix_sla_alert_active",
            "crossed_at",
            "id",
            postgresql_where=sa.text("acknowledged_at IS NULL"),
            sqlite_where=sa.text("acknowledged_at IS NULL"),
        ),
        # the figures' alert history: per queue over a date range
        sa.Index("ix_sla_alert_queue_crossed", "queue_id", "crossed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queue.id"))
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[int]
    crossed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the target and the business time waited when the beat saw it
    target_seconds: Mapped[int]
    waited_seconds: Mapped[int]
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class SlaAlertNotice(db.Model):
    """An SLA alert to be e-mailed to one supervisor (issue 17): written with the alert, sent
    by the task `dashboard.send_sla_alert_email`, which stamps `sent_at` (once per alert, user
    and channel: the unique constraint)."""

    __tablename__ = "sla_alert_notice"
    __table_args__ = (
        sa.UniqueConstraint(
            "alert_id", "user_id", "channel", name="uq_sla_alert_notice_alert_user_channel"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_alert.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
