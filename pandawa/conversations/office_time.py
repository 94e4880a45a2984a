"""The office's clock in what the citizen reads: the greeting by the office's local time
("Selamat malam, Bapak/Ibu. Selamat datang …") and, in the `status` reply, when the office
opens next ("Senin, 7 Desember 2026 pukul 08.00 WIB") or until when it is open today."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pandawa.catalog.schema import Catalog
from pandawa.citizens.models import Conversation
from pandawa.conversations.salutation import salutation_key
from pandawa.core.clock import now
from pandawa.hours.formatting import format_clock, format_local, zone_abbreviation
from pandawa.hours.models import Office
from pandawa.hours.queries import calendar_for
from pandawa.tickets.models import Ticket

DEFAULT_ZONE = "Asia/Jakarta"


def office_zone(session: Session, catalog: Catalog, conversation: Conversation) -> str:
    """The time zone of the conversation's office (else the catalogue's first office)."""
    office = session.get(Office, conversation.office_id) if conversation.office_id else None
    if office is not None:
        return office.timezone
    return catalog.offices[0].timezone if catalog.offices else DEFAULT_ZONE


def greeting(session: Session, catalog: Catalog, conversation: Conversation, language: str) -> str:
    """ "Selamat malam, Bapak/Ibu." by the office's local time, then the welcome."""
    key = salutation_key(now(), office_zone(session, catalog, conversation))
    salutation = catalog.text(key, language)
    welcome = catalog.text("greeting", language, name=conversation.contact.name or "")
    return f"{salutation} {welcome}" if salutation else welcome


def office_hours_line(session: Session, catalog: Catalog, ticket: Ticket, language: str) -> str:
    """When the office opens next, or until when it is open today ("" when it never closes)."""
    office = ticket.office
    calendar = calendar_for(session, office, queue_id=ticket.queue_id)  # its queue's closures
    at = now()
    if calendar.is_open(at):
        closes = calendar.next_closing(at)
        if closes is None:
            return ""
        local = closes.astimezone(ZoneInfo(office.timezone))
        until = (
            f"{format_clock(local.hour, local.minute, language)} "
            f"{zone_abbreviation(office.timezone, closes)}"
        )
        return catalog.text("status_office_open_until", language, closes_at=until)
    opens = format_local(calendar.next_opening(at), office.timezone, language)
    return catalog.text("status_office_opens", language, opens_at=opens)
