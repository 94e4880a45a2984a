"""The `canned_response` table: one answer, per queue or (queue NULL) for every queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pandawa.core.extensions import db
from pandawa.core.sqltypes import UTCDateTime
from pandawa.tickets.models import Queue

LANGUAGES = ("id", "en")


class CannedResponse(db.Model):
    """An answer for the reply box. Never deleted: retiring hides it from agents and keeps the
    text (and its audit trail) for a later restore. Rows the migration shipped have no author."""

    __tablename__ = "canned_response"
    __table_args__ = (
        CheckConstraint("language IN ('id', 'en')", name="language_known"),
        # the ticket page's read: the active answers of one queue plus the global ones
        Index("ix_canned_response_queue_id_retired_at", "queue_id", "retired_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: offered on every queue's tickets
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queue.id", ondelete="CASCADE"))
    # the language of the text: the citizen's language is offered first
    language: Mapped[str] = mapped_column(String(2), default="id", server_default="id")
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    queue: Mapped[Queue | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.retired_at is None
