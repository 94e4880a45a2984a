"""Import every feature's models, so metadata is complete (Alembic, tests)."""

from pandawa.accounts.models import ApiToken, User, queue_member
from pandawa.catalog.models import CatalogRevision
from pandawa.channels.models import Message
from pandawa.conversations.models import Contact, Conversation
from pandawa.dashboard.models import FiguresSnapshot
from pandawa.hours.models import Office, OfficeClosure, OfficeOverride
from pandawa.tickets.models import Queue, Ticket, TicketEvent

__all__ = [
    "ApiToken",
    "CatalogRevision",
    "Contact",
    "Conversation",
    "FiguresSnapshot",
    "Message",
    "Office",
    "OfficeClosure",
    "OfficeOverride",
    "Queue",
    "Ticket",
    "TicketEvent",
    "User",
    "queue_member",
]
