from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pandawa.core.extensions import db
from pandawa.core.sqltypes import JSONDoc, UTCDateTime


class CatalogRevision(db.Model):
    """Each `pandawa catalog load` stores the validated catalogue; the newest one is in force.

    Kept in the database (not read from a file per process) so every web and worker machine
    runs the same menu, texts and templates.
    """

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict] = mapped_column(JSONDoc)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
