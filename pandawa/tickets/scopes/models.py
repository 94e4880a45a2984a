"""The `user_scope` table: the offices, or regions of offices, a supervisor is bound to.

A supervisor without rows is agency-wide (as before scopes existed); with rows she sees and
acts on the tickets and offices they select, every queue of those offices (queues are
agency-wide). Admins are always agency-wide and agents keep their queue membership, so rows
only count for the role `supervisor`. Read through `tickets.queries.visibility_clause` and
its siblings, never directly by a page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from pandawa.accounts.models import User
from pandawa.core.extensions import db
from pandawa.core.sqltypes import UTCDateTime
from pandawa.hours.models import Office


class UserScope(db.Model):
    """One office (office_id) or one region (region, matched to `office.region`) of a user."""

    __tablename__ = "user_scope"
    __table_args__ = (
        CheckConstraint("(office_id IS NULL) <> (region IS NULL)", name="office_or_region"),
        UniqueConstraint("user_id", "office_id"),
        UniqueConstraint("user_id", "region"),
        # the visibility subquery: a user's rows
        Index("ix_user_scope_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    region: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # lazy: only a supervisor's visibility reads it, once per request at most
    user: Mapped[User] = relationship(
        backref=backref("scopes", lazy="select", passive_deletes=True, order_by="UserScope.id")
    )
    office: Mapped[Office | None] = relationship(lazy="joined")
