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
