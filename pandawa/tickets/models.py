from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from pandawa.accounts.models import User
from pandawa.core.extensions import db
from pandawa.core.sqltypes import JSONDoc, UTCDateTime
from pandawa.hours.models import Office

if TYPE_CHECKING:
    from pandawa.citizens.models import Contact

TICKET_STATUSES = ("deferred", "waiting", "assigned", "resolved", "cancelled")
OPEN_STATUSES = ("deferred", "waiting", "assigned")
_OPEN_SQL = "status IN ('deferred', 'waiting', 'assigned')"

# which queues each user works: the ticket layer's knowledge about accounts, so it lives here
# and gives every User its `queues` (accounts, below tickets, knows nothing of queues)
queue_member = Table(
    "queue_member",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("queue_id", ForeignKey("queue.id", ondelete="CASCADE"), primary_key=True),
)


class Queue(db.Model):
    __tablename__ = "queue"
    __table_args__ = (
        # surge mode (issue 17): a cap of at least one, a positive threshold
        CheckConstraint(
            "live_capacity IS NULL OR live_capacity >= 1", name="live_capacity_positive"
        ),
        CheckConstraint(
            "surge_auto_ratio IS NULL OR surge_auto_ratio > 0", name="surge_auto_ratio_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # first-response target, in business seconds
    sla_seconds: Mapped[int] = mapped_column(default=1800)
    is_auto_assign: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # issue 17 (SLA alerts, settings page): the resolution target in business seconds (None:
    # none); a named service standard (catalog/sla_templates.py) counting both targets in
    # working days instead; the idle-return minutes of tickets/returns.py; when the settings
    # page last changed the targets or auto-assignment (a later catalogue load keeps them)
    resolution_seconds: Mapped[int | None]
    sla_template: Mapped[str | None] = mapped_column(String(32))
    idle_return_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    settings_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # surge mode (issue 17, tickets/surge.py): at most this many tickets wait live while the
    # queue is in surge (NULL: no cap); since when and by whom (a user's e-mail or "rule");
    # the rule's threshold: on when the work at hand exceeds this × what can be served today
    live_capacity: Mapped[int | None]
    surge_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    surge_by: Mapped[str | None] = mapped_column(String(255))
    surge_auto_ratio: Mapped[float | None]

    members: Mapped[list[User]] = relationship(
        secondary=queue_member,
        backref=backref("queues", lazy="selectin"),
    )

    def name(self, language: str = "id") -> str:
        return self.name_en if language == "en" else self.name_id


class Ticket(db.Model):
    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(
            "status IN ('deferred', 'waiting', 'assigned', 'resolved', 'cancelled')",
            name="status_known",
        ),
        # a held ticket has a holder; a queued one has none (resolved ones keep who resolved)
        CheckConstraint(
            "status <> 'assigned' OR assignee_id IS NOT NULL", name="assigned_has_holder"
        ),
        CheckConstraint(
            "status NOT IN ('deferred', 'waiting') OR assignee_id IS NULL", name="queued_no_holder"
        ),
        CheckConstraint(
            "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction_1_5"
        ),
        # at most one open ticket per conversation
        Index(
            "uq_ticket_conversation_open",
            "conversation_id",
            unique=True,
            postgresql_where=text(_OPEN_SQL),
            sqlite_where=text(_OPEN_SQL),
        ),
        # the claim path: oldest waiting ticket of a queue
        Index(
            "ix_ticket_waiting_claim",
            "queue_id",
            "released_at",
            "id",
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
        # lists and counts per queue and status
        Index("ix_ticket_queue_status", "queue_id", "status", "id"),
        Index("ix_ticket_assignee_status", "assignee_id", "status"),
        Index("ix_ticket_contact_created", "contact_id", "created_at"),
        # a conversation's latest ticket (reopening after a resolution)
        Index("ix_ticket_conversation_created", "conversation_id", "created_at", "id"),
        # release at opening: deferred tickets of an office, oldest first
        Index(
            "ix_ticket_deferred_release",
            "office_id",
            "created_at",
            "id",
            postgresql_where=text("status = 'deferred'"),
            sqlite_where=text("status = 'deferred'"),
        ),
        # surge mode: a queue's deferred tickets in arrival order (the cap's top-up, the count
        # of those ahead of a new one)
        Index(
            "ix_ticket_deferred_queue",
            "queue_id",
            "created_at",
            "id",
            postgresql_where=text("status = 'deferred'"),
            sqlite_where=text("status = 'deferred'"),
        ),
        # the dashboard's date ranges (tickets created in [from, to))
        Index("ix_ticket_created_at", "created_at", "id"),
        # the API's first-response waits of a date range
        Index(
            "ix_ticket_first_response_at",
            "first_response_at",
            postgresql_where=text("first_response_at IS NOT NULL"),
            sqlite_where=text("first_response_at IS NOT NULL"),
        ),
        # issue 17: arrivals of an office by queue and hour (reports/forecast.py)
        Index("ix_ticket_office_created", "office_id", "created_at", "queue_id"),
        # search (tickets/search.py): any part of a ticket number, PostgreSQL only (pg_trgm)
        Index(
            "ix_ticket_number_trgm",
            "number",
            postgresql_using="gin",
            postgresql_ops={"number": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # a scoped supervisor's board and lists (issue 17): open tickets of her offices
        Index("ix_ticket_office_status", "office_id", "status", "queue_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    status: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # what the bot collected before the handoff (service, NIK, …), shown to the agent
    details: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    satisfaction: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # wait to first response from released_at, fixed when the first reply is written: in
    # calendar seconds and in business seconds (only while the office was open)
    wait_seconds: Mapped[int | None]
    wait_business_seconds: Mapped[int | None]
    # the 24-hour window: when the approved template that asks the citizen to answer was
    # sent (one per ticket per reopening of the window)
    reopen_template_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the citizen was told the office closed while the ticket waited (once per closing)
    closing_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the first time the ticket waited past its queue's first-response target (business time),
    # stamped once by the SLA beat task with an "sla_breached" event
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # how many times it moved between queues
    transfer_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # approved templates sent to reopen the 24-hour window, and how many the citizen answered
    reopen_templates_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    reopen_templates_answered: Mapped[int] = mapped_column(default=0, server_default="0")
    # deferred though the office was open: its queue was in surge and the live queue full
    surge_deferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office] = relationship(lazy="joined", innerjoin=True)
    queue: Mapped[Queue] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[User | None] = relationship(lazy="joined")
    contact: Mapped[Contact] = relationship(lazy="raise")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketEvent(db.Model):
    """Append-only trail: what happened to a ticket, when, and who did it (null: the system)."""

    __tablename__ = "ticket_event"
    __table_args__ = (
        Index("ix_ticket_event_ticket_id_id", "ticket_id", "id"),
        # the figures' "reopened" count (reports/figures.py): the few reopened tickets at once
        Index(
            "ix_ticket_event_reopened",
            "ticket_id",
            postgresql_where=text("kind = 'reopened'"),
            sqlite_where=text("kind = 'reopened'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
