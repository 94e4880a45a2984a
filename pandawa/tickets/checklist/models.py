"""The `ticket_checklist_item` table: one row per checklist item of a ticket, in catalogue order.

The wording is copied from the catalogue at the handoff, so a later catalogue change never
rewrites what the citizen was asked."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pandawa.core.extensions import db

# check: met / not_met; document: received / skipped
STATES = ("met", "not_met", "received", "skipped")


class TicketChecklistItem(db.Model):
    __tablename__ = "ticket_checklist_item"
    __table_args__ = (
        # the ticket page and the API read a ticket's rows in order: this index serves them
        UniqueConstraint("ticket_id", "position"),
        CheckConstraint("kind IN ('document', 'check')", name="kind_known"),
        CheckConstraint("state IN ('met', 'not_met', 'received', 'skipped')", name="state_known"),
        CheckConstraint("answer IS NULL OR answer IN ('ya', 'tidak')", name="answer_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    # the document's name or the question, as the catalogue worded it at the handoff
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    is_required: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(16))
    # checks: the citizen's answer (ya/tidak)
    answer: Mapped[str | None] = mapped_column(String(8))
    # documents: the stored inbound message and the item of its media that holds the file
    # (NULL again when a citizen's erasure removed the message)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    media_index: Mapped[int | None]

    def text(self, language: str | None) -> str:
        return self.text_en if language == "en" else self.text_id
