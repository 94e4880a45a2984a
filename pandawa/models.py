"""Import every feature's models, so metadata is complete (Alembic, tests)."""

from pandawa.accounts.models import ApiToken, SignInThrottle, User
from pandawa.audit.models import AuditEvent
from pandawa.catalog.models import CatalogRevision
from pandawa.channels.models import EarlyStatus, Message
from pandawa.citizens.models import Contact, Conversation
from pandawa.core.heartbeat import ServiceHeartbeat
from pandawa.core.live_db import LiveEvent
from pandawa.core.outbox import OutboxTask
from pandawa.hours.models import Office, OfficeClosure, OfficeOverride
from pandawa.reports.models import FiguresSnapshot, SlaAlert, SlaAlertNotice
from pandawa.tickets.canned.models import CannedResponse
from pandawa.tickets.checklist.models import TicketChecklistItem
from pandawa.tickets.models import Queue, Ticket, TicketEvent, queue_member
from pandawa.tickets.scopes.models import UserScope

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CannedResponse",
    "CatalogRevision",
    "Contact",
    "Conversation",
    "EarlyStatus",
    "FiguresSnapshot",
    "LiveEvent",
    "Message",
    "Office",
    "OfficeClosure",
    "OfficeOverride",
    "OutboxTask",
    "Queue",
    "ServiceHeartbeat",
    "SignInThrottle",
    "SlaAlert",
    "SlaAlertNotice",
    "Ticket",
    "TicketChecklistItem",
    "TicketEvent",
    "User",
    "UserScope",
    "queue_member",
]
