from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pandawa.core.extensions import db
from pandawa.core.sqltypes import JSONDoc, UTCDateTime


class AuditEvent(db.Model):
    """One audited act: a sign-in, a failure, a token use, a reveal, an export, an erasure.

    Rows are only ever added. `contact_id` and `ticket_number` are plain values, not foreign
    keys: the record of who looked at a citizen outlives the citizen's erased data.
    `details` never holds a NIK, KK or phone number in clear.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at", "id"),
        Index("ix_audit_event_contact_at", "contact_id", "at"),
        Index("ix_audit_event_actor_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # sign_in, sign_in_failed, reveal, document_view, privacy_erase… (see operations.ACTIONS)
    action: Mapped[str] = mapped_column(String(48))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # who, when there is no account: "cli", "retention", an email digest for a failed sign-in
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    contact_id: Mapped[int | None] = mapped_column()
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    # which piece of data: nik, kk, phone, document, message…
    field: Mapped[str | None] = mapped_column(String(48))
    # the client address (after TRUSTED_PROXIES), or "cli"
    address: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict] = mapped_column(JSONDoc, default=dict)
