from __future__ import annotations

from datetime import datetime

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
